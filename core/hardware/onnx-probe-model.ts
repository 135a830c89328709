// The smallest ONNX model that exercises an execution provider: Y = A + B over float32[4]. Encoded by hand
// with protobufjs's Writer (field numbers from onnx.proto) so hardware detection depends on nothing but
// protobufjs and is independent of the graph builder.
import protobuf from 'protobufjs';

const { Writer } = protobuf;

function valueInfo(name: string): Uint8Array {
  const dim = Writer.create()
    .uint32((1 << 3) | 0)
    .int64(4)
    .finish(); // Dimension.dim_value = 4
  const shape = Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(dim)
    .finish(); // TensorShapeProto.dim
  const tensor = Writer.create()
    .uint32((1 << 3) | 0)
    .int32(1) // elem_type = FLOAT
    .uint32((2 << 3) | 2)
    .bytes(shape)
    .finish();
  const type = Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(tensor)
    .finish(); // TypeProto.tensor_type
  return Writer.create()
    .uint32((1 << 3) | 2)
    .string(name)
    .uint32((2 << 3) | 2)
    .bytes(type)
    .finish();
}

export function buildAddModel(): Uint8Array {
  const node = Writer.create()
    .uint32((1 << 3) | 2)
    .string('A')
    .uint32((1 << 3) | 2)
    .string('B')
    .uint32((2 << 3) | 2)
    .string('Y')
    .uint32((3 << 3) | 2)
    .string('add')
    .uint32((4 << 3) | 2)
    .string('Add')
    .finish();
  const graph = Writer.create()
    .uint32((1 << 3) | 2)
    .bytes(node)
    .uint32((2 << 3) | 2)
    .string('probe')
    .uint32((11 << 3) | 2)
    .bytes(valueInfo('A'))
    .uint32((11 << 3) | 2)
    .bytes(valueInfo('B'))
    .uint32((12 << 3) | 2)
    .bytes(valueInfo('Y'))
    .finish();
  const opset = Writer.create()
    .uint32((1 << 3) | 2)
    .string('')
    .uint32((2 << 3) | 0)
    .int64(13)
    .finish();
  return Writer.create()
    .uint32((1 << 3) | 0)
    .int64(8) // ir_version
    .uint32((2 << 3) | 2)
    .string('slice-studio-probe')
    .uint32((7 << 3) | 2)
    .bytes(graph)
    .uint32((8 << 3) | 2)
    .bytes(opset)
    .finish();
}
