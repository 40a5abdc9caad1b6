import { Agent, setGlobalDispatcher } from 'undici';

// A fresh connection per request: a reused keep-alive socket that wrangler dev has just closed
// fails a request for reasons that have nothing to do with the gateway.
setGlobalDispatcher(new Agent({ pipelining: 0 }));
