// Shared with the other side of the API, so both answer errors the same way.
export { ApiError } from '@detector/contract';
