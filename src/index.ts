export * as tf from '@tensorflow/tfjs';
export { backendInstallHints, backendNames, formatBackendReport, initBackend, nodeBackendLoader, requestedBackend, selectBackend } from './backend';
export type { BackendAttempt, BackendChoice, BackendLoader, BackendName, BackendReport, LoadedBackend } from './backend';
export { environmentVersions } from './environment';
export type { EnvironmentVersions } from './environment';
export { byProfile, currentProfile, profileNames } from './profile';
export type { ProfileName } from './profile';
export { check, checkClose, checkPositiveInt } from './core/assert';
export type { AxisTitles, FigureSpec, PlotlyAxis, PlotlyLayout, PlotlyTrace } from './viz/figure-spec';
export { lineChart } from './viz/line-chart';
export type { Curve, LineChartOptions } from './viz/line-chart';
export { digitHoverArt, labelColours, scatterByLabel, scatterPanels } from './viz/scatter';
export type { ScatterByLabelOptions, ScatterPanel, ScatterPanelsOptions } from './viz/scatter';
export { heatmap } from './viz/heatmap';
export type { HeatmapOptions } from './viz/heatmap';
export { inNotebook, setDisplaySink } from './notebook/display';
export type { DisplayBundle, DisplaySink } from './notebook/display';
export { figureHtml, plotlyMimeType, resetPlotlyLibrary, showFigure } from './notebook/figure';
export { showTable, tableHtml, toPlainTable } from './notebook/table';
export type { DataFrameLike, PlainTable, TableOptions } from './notebook/table';
export { dataFrame, loadDanfo } from './notebook/data-frame';
export { pngSize, showPng } from './notebook/image';
export type { PngOptions } from './notebook/image';
export { formatDuration, formatTrainingProgress, ProgressLine } from './notebook/progress';
export type { ProgressLineOptions, TrainingProgress } from './notebook/progress';
export { mixSeed, Random } from './core/random';
export { normalQuantile, normalQuantileGrid } from './core/normal';
export { encodeIdx, parseIdx, readIdxFile } from './data/idx';
export type { IdxArray, IdxDtype } from './data/idx';
export { batchesOf, FileDataset, writeDatasetFiles } from './data/dataset-file';
export type { BatchSource, DatasetFilePaths, FileDatasetOptions } from './data/dataset-file';
export { featureSize, labelsTensor, makeDataset, subset, take, toTensor } from './data/dataset';
export type { Dataset, DatasetArgs } from './data/dataset';
export { loadMnist, mnistDataDir, mnistSplits, openMnistFile } from './data/mnist';
export type { MnistLayout, MnistPart, MnistSplitOptions } from './data/mnist';
export { fashionMnistClassNames, fashionMnistDataDir, fashionMnistSplits, loadFashionMnist } from './data/fashion-mnist';
export type { FashionMnistSplitOptions } from './data/fashion-mnist';
export { countSharedExamples, splitDataset, splitIndices } from './data/split';
export type { DatasetSplits, SplitFractions, SplitIndices, SplitOptions } from './data/split';
export { batchCount, batches, epochOrder } from './data/batches';
export type { BatchOptions, HostBatch } from './data/batches';
export { activations, applyDense, applyStack, createDense, flattenInput } from './nn/dense';
export type { Activation, DenseLayer, DenseSpec } from './nn/dense';
export { glorotUniform, ParameterScope } from './nn/params';
export type { Initializer, NamedVariable } from './nn/params';
export { collectVariables, traceSummary } from './nn/network';
export type { ApplyOptions, Network } from './nn/network';
export { DenseStack } from './nn/dense-stack';
export type { DenseStackConfig } from './nn/dense-stack';
export { GaussianEncoder, GaussianHead, reparameterize, standardNormalKl, standardNormalKlPerExample } from './nn/gaussian';
export type { Gaussian } from './nn/gaussian';
export { ConvDecoder, ConvEncoder, convGeometry } from './nn/conv-stack';
export type { ConvGeometry, ConvStackConfig } from './nn/conv-stack';
export { SignalDecoder, SignalEncoder, signalGeometry } from './nn/signal-stack';
export type { ResolvedSignalStackConfig, SignalCode, SignalConvolution, SignalEncoding, SignalGeometry, SignalStackConfig } from './nn/signal-stack';
export { stopGradient, straightThrough } from './core/straight-through';
export { lookupCodes, nearestCode, perplexity, VectorQuantizer } from './nn/vector-quantizer';
export type { Quantized, VectorQuantizerConfig } from './nn/vector-quantizer';
export {
  bernoulliKl,
  binaryCrossEntropyWithLogits,
  contractivePenalty,
  kernelWeights,
  klSparsityPenalty,
  l1ActivityPenalty,
  l2Penalty,
  meanSquaredError,
  softmaxCrossEntropy,
  sumSquaredError,
} from './losses';
export { applyCorruption, corrupt, corruptionKinds, corruptionNoise } from './data/corruption';
export type { Corruption } from './data/corruption';
export { jacobianFrobeniusSquared } from './nn/jacobian';
export { checkCodeShape, NetworkModel } from './models/model';
export type { Conditional, Generative, LossOptions, LossTerms, RepresentationModel, TrainableModel, TrainBatch } from './models/model';
export { Autoencoder, checkReconstructionSetup, checkSparsity, reconstructionTerms } from './models/autoencoder';
export type { AutoencoderOptions, ReconstructionLoss, SparsityConfig } from './models/autoencoder';
export { DenseAutoencoder } from './models/dense-autoencoder';
export type { DenseAutoencoderConfig, ResolvedDenseAutoencoderConfig } from './models/dense-autoencoder';
export { ClassifierModel } from './models/classifier';
export type { ClassifierOptions } from './models/classifier';
export { MlpClassifier } from './models/mlp-classifier';
export type { MlpClassifierConfig } from './models/mlp-classifier';
export { EncoderClassifier, identityEncoder, meanEncoder } from './models/encoder-classifier';
export type { EncoderClassifierConfig, EncoderTraining } from './models/encoder-classifier';
export { Optimizer, optimizerNames } from './training/optimizer';
export type { NamedTensor, OptimizerConfig, OptimizerName } from './training/optimizer';
export { hasCheckpoint, loadCheckpoint, lockCheckpointDir, saveCheckpoint, trainingSetFingerprint } from './training/checkpoint';
export type { CheckpointContents, CheckpointLock, LoadedCheckpoint, TrainingSetFingerprint } from './training/checkpoint';
export { copyWeights, loadWeights, saveWeights } from './training/weights';
export { defaultToBatch, evaluateLoss, NonFiniteLossError, regularizedLoss, train } from './training/trainer';
export type {
  BatchLog,
  Classifier,
  EpochLog,
  LossValues,
  NonFiniteInput,
  NonFiniteLossDetails,
  NonFiniteLossStage,
  TrainCallbacks,
  TrainOptions,
  TrainResult,
} from './training/trainer';
export { checkEmbedding, embedDataset, embeddingColumn, sliceEmbedding } from './latent/embed';
export { forEachDistanceBlock, nearestNeighbours, neighbourVote, oneHotCodes } from './latent/knn';
export { kMeans } from './latent/kmeans';
export { FittedGaussianMixture, gaussianMixture, GaussianMixtureModel } from './latent/gaussian-mixture';
export type { CovarianceType, GaussianMixtureOptions, GaussianMixtureParameters } from './latent/gaussian-mixture';
export { umap, umapNeighbourRows } from './latent/umap';
export { barnesHutGradient, exactGradient, perplexityAffinities, symmetrize, tsne } from './latent/tsne';
export type { ConditionalAffinities, GradientOptions, SparseAffinities, TsneGradient, TsneOptions, TsneResult } from './latent/tsne';
export type { UmapOptions, UmapResult } from './latent/umap';
export type { KMeansEngine, KMeansOptions, KMeansResult } from './latent/kmeans';
export { adjustedRandIndex, classCentroidDistances, classMeans, continuity, knnAccuracy, normalizedMutualInfo, silhouetteScore, trustworthiness, vMeasure } from './evaluation/embedding-metrics';
export type { NeighbourOptions, Neighbours } from './latent/knn';
export type { Embedder, Embedding } from './latent/embed';
export { auroc, averagePrecision, confusionMatrix, precisionRecallCurve, ratesAt, rmse, rocCurve, thresholdAtFpr } from './evaluation/classification-metrics';
export type { PrecisionRecallCurve, RocCurve, ThresholdRates } from './evaluation/classification-metrics';
export { accuracy, nearestCentroidAccuracy, predictClasses, reconstructionBce, reconstructionMse, topResponsePurity } from './evaluation/metrics';
export { dotCopyShare, singleDotImages } from './evaluation/copy-test';
export type { DotImages } from './evaluation/copy-test';
export { estimateLogLikelihood, logMeanExp, meanWithError } from './evaluation/likelihood';
export { nearestDistances, negativeElbos, quantile, reconstructionErrors } from './evaluation/anomaly';
export { bernoulliDraw, binarize, uniformNoise } from './data/binarize';
export type { LikelihoodModel, LikelihoodOptions, LikelihoodReport, MeanWithError } from './evaluation/likelihood';
export { Pca } from './latent/pca';
export type { PcaMethod, PcaOptions } from './latent/pca';
export { symmetricEigen } from './latent/symmetric-eigen';
export type { SymmetricEigen } from './latent/symmetric-eigen';
export { imageGridPng, weightImages } from './viz/image-grid';
export { binCounts, histogram } from './viz/histogram';
export type { HistogramOptions, HistogramSeries } from './viz/histogram';
export type { ImageGridOptions, ImageGridRow } from './viz/image-grid';
export { latentScatter, lossCurves } from './viz/training-figures';
export type { LatentScatterOptions, LossCurvesOptions } from './viz/training-figures';
export { handcraftedDigitFeatures, handcraftedFeatureNames } from './data/digit-features';
export { orthonormalRows, principalAngles } from './latent/principal-angles';
export { applyConv, applyConvTranspose, createConv, createConvTranspose, maxPool } from './nn/conv';
export type { ConvLayer, ConvSpec, ConvTransposeLayer, Size2 } from './nn/conv';
export { ConvAutoencoder } from './models/conv-autoencoder';
export type { ConvAutoencoderConfig } from './models/conv-autoencoder';
export { checkVaeObjective, diagonalGaussianLogDensity, standardNormal, standardNormalLogDensity, VariationalAutoencoder } from './models/variational-autoencoder';
export type { VariationalAutoencoderOptions } from './models/variational-autoencoder';
export { Vae } from './models/vae';
export type { VaeConfig } from './models/vae';
export { ConvVae } from './models/conv-vae';
export { ConditionalVae } from './models/conditional-vae';
export type { ConditionalVaeConfig } from './models/conditional-vae';
export type { ConvVaeConfig } from './models/conv-vae';
export { VqVae } from './models/vq-vae';
export { AutoregressiveCodePrior, CategoricalCodePrior } from './models/code-prior';
export type { AutoregressiveCodePriorConfig, CodeGrid } from './models/code-prior';
export type { CodeUsage, EpochCodeUse, VqVaeConfig } from './models/vq-vae';
export { registerWasmKernels } from './kernels/wasm-kernels';
export { conv1dPadded, conv1dTranspose, convTranspose2d, convTransposeOutputSize, transposedConvByZeroInsertion } from './nn/pytorch-conv';
export type { Conv1dTransposeOptions, ConvTransposeOptions, ZeroInsertionSteps } from './nn/pytorch-conv';
export { maxPool1d, maxUnpool1d } from './nn/pool1d';
export type { MaxPool1dResult } from './nn/pool1d';
export { applyBatchNorm, createBatchNorm } from './nn/batch-norm';
export type { BatchNormLayer } from './nn/batch-norm';
export { summaryRecorder } from './nn/summary';
export type { LayerSummary, LayerTrace } from './nn/summary';
export { makeSignals, signalClassNames } from './data/signals';
export type { SignalOptions } from './data/signals';
export { ConvAutoencoder1d } from './models/conv-autoencoder-1d';
export type { ConvAutoencoder1dConfig, Encoding1d } from './models/conv-autoencoder-1d';
// training loop and callbacks
export { learningRateSchedule } from './training/callbacks';
export type { TrainingCallback, TrainingContext, TrainingSettings } from './training/callbacks';
export { EarlyStopping } from './training/early-stopping';
export type { EarlyStoppingOptions, EarlyStoppingState } from './training/early-stopping';
// gradient-boosted trees
export type { LabelledTabularData, TabularData } from './trees/tabular';
export { FeatureBinner } from './trees/binning';
export type { BinnedColumns, BinnerOptions } from './trees/binning';
export { leafOfBinnedRow, leafOfRow } from './trees/regression-tree';
export type { RegressionTree } from './trees/regression-tree';
export type { TreeGrowth } from './trees/tree-learner';
export { GradientBoostedTrees } from './trees/gradient-boosting';
export type { BoostingHistory, BoostingPredictOptions, FeatureImportance, GradientBoostingOptions, ValidationSet } from './trees/gradient-boosting';
// mixed tables
export type { ColumnKind, ColumnSpec, MixedTable } from './tabular/columns';
export { TabularEncoder } from './tabular/encoder';
export type { EncodedSlice } from './tabular/encoder';
export { mixedRowColumns, mixedRowLogit, mixedRowProbability, mixedRows } from './tabular/mixed-rows';
export type { MixedRowsOptions } from './tabular/mixed-rows';
export { jitterRows, smoteRows, splitTable, takeRows } from './tabular/rows';
export type { JitterOptions, SmoteOptions, TableSplitOptions } from './tabular/rows';
export { cpsWageColumns, cpsWageRecords, cpsWages } from './tabular/cps-wages';
export { encodedDataset, encodedLayout } from './tabular/encoder';
export { MixedConditionalVae, mixedScaleRange } from './models/mixed-vae';
export type { MixedVaeConfig, SynthesizeOptions } from './models/mixed-vae';
export { BlockLinear, TransformerBlock, applyLayerNorm, createLayerNorm } from './nn/attention';
export type { LayerNorm, TransformerBlockConfig } from './nn/attention';
export { concatTables } from './tabular/rows';
export { closestRowDistances, columnSummaries, correlationMatrix } from './tabular/fidelity';
export type { ColumnSummary } from './tabular/fidelity';
