/** Few-shot classification on embeddings: the classifier, the candidate sources (FAISS, SQL) and the mining loop. */
export { LinearClassifier, type ClassifierOptions, type FitOptions, type FitResult, type Labels } from './linear';
export { faissCandidates, sqlCandidates, type CandidateSource } from './candidates';
export { HardNegativeMiner, classLabeller, listLabeller, type Labeller, type MinerOptions, type MiningRound } from './mining';
