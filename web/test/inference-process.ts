// The browser test starts the same real service process as the inference package's own tests.
export { freePort, startServiceProcess as startInference } from '../../inference-container/src/service-process.ts';
