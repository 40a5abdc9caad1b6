export * from './errors.ts';
export * from './text.ts';
export * from './inference.ts';
export * from './detect.ts';
export * from './analyze.ts';
export * from './extract.ts';
export * from './api-error.ts';
export * from './body.ts';
