// Every job kind the app can run, imported for their registration side effect. Both the calling thread
// (to validate params) and the worker (to run the function) import this one list.
import './fingerprint';
import './ppl';
import './generate';
import './slice';
import './eval';
import './bench';
import './export';
import './synth';
import './recover';
