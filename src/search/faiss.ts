/** The FAISS API now lives in src/faiss/; this path stays for modules that still import it. */
export * from '../faiss';
