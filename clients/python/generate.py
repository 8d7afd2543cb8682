"""Generates the Python messages and gRPC stubs of paygate.v1 from proto/ into ./generated.

Imports come from where the Java build takes them: google/api and google/type from the
googleapis-common-protos package (its protos and their _pb2 modules), buf/validate from the
protovalidate jar the Maven build unpacks into proto/target/proto-imports. Run after
`./mvnw package`; PythonClientIT runs it before every test run, so the stubs never lag proto/.
"""
import pathlib
import shutil
import sys

import grpc_tools
from grpc_tools import protoc

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONTRACT = ROOT / "proto" / "src" / "main" / "proto"
IMPORTS = ROOT / "proto" / "target" / "proto-imports"
OUT = HERE / "generated"


def main() -> int:
    if not (IMPORTS / "buf" / "validate" / "validate.proto").exists():
        print(f"{IMPORTS} is missing: run ./mvnw package first", file=sys.stderr)
        return 1
    from google.api import annotations_pb2  # googleapis-common-protos: google/api/*.proto and *_pb2
    common_protos = pathlib.Path(annotations_pb2.__file__).resolve().parent.parent.parent
    bundled = pathlib.Path(grpc_tools.__file__).resolve().parent / "_proto"  # google/protobuf/*.proto

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    sources = sorted(str(p.relative_to(CONTRACT)) for p in (CONTRACT / "paygate").rglob("*.proto"))
    # buf/validate is generated here too: no pinned PyPI package matches the jar's version.
    sources.append("buf/validate/validate.proto")
    args = ["grpc_tools.protoc", f"-I{CONTRACT}", f"-I{IMPORTS}", f"-I{common_protos}", f"-I{bundled}",
            f"--python_out={OUT}", f"--pyi_out={OUT}", f"--grpc_python_out={OUT}", *sources]
    code = protoc.main(args)
    if code == 0:
        print(f"generated {len(sources)} files into {OUT}")
    return code


if __name__ == "__main__":
    sys.exit(main())
