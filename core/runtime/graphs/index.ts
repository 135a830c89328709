// The block graph for a signature: one switch shared by the runtime's sessions and the ONNX export.
import type { GraphBuilder } from '../../onnx/graph';
import { attentionGraph } from './attention';
import { embedGraph } from './embed';
import { headGraph } from './head';
import { mlpGraph } from './mlp';
import { parallelGraph } from './parallel';
import type { BlockSig } from './signature';

export function buildGraph(sig: BlockSig): GraphBuilder {
  switch (sig.kind) {
    case 'embed':
      return embedGraph(sig);
    case 'attention':
      return attentionGraph(sig);
    case 'mlp':
      return mlpGraph(sig);
    case 'parallel':
      return parallelGraph(sig);
    case 'head':
      return headGraph(sig);
  }
}
