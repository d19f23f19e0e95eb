/** Few-shot classification on embeddings: the classifier, the candidate sources (FAISS, SQL) and the mining loop. */

export { type CandidateSource, faissCandidates, sqlCandidates } from './candidates';
export { type ClassifierOptions, type FitOptions, type FitResult, type Labels, LinearClassifier } from './linear';
export {
  classLabeller,
  HardNegativeMiner,
  type Labeller,
  listLabeller,
  type MinerOptions,
  type MiningRound,
} from './mining';
