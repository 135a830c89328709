#!/usr/bin/env python3
"""Shrink a CUDA library for one GPU so that it can travel to the GPU machine (64 MiB a call).

node-llama-cpp's linux-x64-cuda libggml-cuda.so is 159 MB (125 MB xz'd): its .nv_fatbin holds PTX for compute 75/80/90
and cubins for sm 86/89/120/121. The H100/H200 (sm 90) loads only the compute_90 PTX (JIT-compiled by the driver, lazily
per kernel). This zeroes the payload of every other fatbin entry in place — sizes, offsets and headers unchanged, so the
file's layout is what the runtime expects — and zeros compress to nothing (21 MB xz'd).

  python3 bench/device/prune-fatbin.py IN OUT [--keep ptx:90]   (kinds: ptx = 1, elf = 2)
"""
import struct, sys

FATBIN_MAGIC = 0xBA55ED50
KINDS = {'ptx': 1, 'elf': 2}


def prune(data: bytearray, keep: set) -> tuple:
    kept = zeroed = 0
    pos = 0
    magic = struct.pack('<I', FATBIN_MAGIC)
    while (i := data.find(magic, pos)) >= 0:
        _, _, header, size = struct.unpack_from('<IHHQ', data, i)
        j, end = i + header, i + header + size
        while j < end:
            kind, _, eheader, payload = struct.unpack_from('<HHIQ', data, j)
            arch = struct.unpack_from('<I', data, j + 28)[0]
            if (kind, arch) in keep:
                kept += payload
            else:
                data[j + eheader : j + eheader + payload] = bytes(payload)
                zeroed += payload
            j += eheader + payload
        pos = max(end, i + 4)
    return kept, zeroed


def main() -> None:
    args = sys.argv[1:]
    keep_spec = 'ptx:90'
    if '--keep' in args:
        k = args.index('--keep'); keep_spec = args[k + 1]; del args[k : k + 2]
    if len(args) != 2:
        sys.exit('usage: prune-fatbin.py IN OUT [--keep ptx:90,elf:90]')
    keep = {(KINDS[k], int(a)) for k, a in (s.split(':') for s in keep_spec.split(','))}
    data = bytearray(open(args[0], 'rb').read())
    kept, zeroed = prune(data, keep)
    if kept == 0:
        sys.exit(f'prune-fatbin: no fatbin entry matches {keep_spec} in {args[0]}: the library would run nowhere')
    open(args[1], 'wb').write(data)
    print(f'prune-fatbin: kept {kept / 1e6:.1f} MB ({keep_spec}), zeroed {zeroed / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
