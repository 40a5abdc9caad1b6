/** How POST /v1/extract turned the upload into text. */
export type ExtractMethod = 'plain' | 'markdown' | 'html' | 'pdf' | 'docx' | 'ocr';

export interface ExtractWarning {
  code: 'type_mismatch' | 'ocr' | 'low_confidence' | 'code_removed' | 'empty_pages' | string;
  message: string;
}

/** POST /v1/extract answers this for a multipart `file` upload. */
export interface ExtractResponse {
  text: string;
  /** The type the bytes turned out to be (sniffed), not the type the upload claimed. */
  media_type: string;
  method: ExtractMethod;
  pages?: number;
  /** Length of `text` in UTF-16 code units, as the detect endpoints count it. */
  chars: number;
  warnings: ExtractWarning[];
}
