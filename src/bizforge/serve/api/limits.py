"""Bounded request bodies: JSON bodies in memory, uploads streamed to a temporary file.

Sizes are checked against ``Content-Length`` first (a too-large request is
refused before it is read) and again while reading, so a chunked upload cannot
get round the limit. An upload is written to disk chunk by chunk, never held in
memory whole; multipart forms are parsed as they stream (python-multipart).

>>> body = await read_body(request, limit=10 * 2**20)              # doctest: +SKIP
>>> upload = await receive_upload(request, limit=2**30, folder=tmp) # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from bizforge.errors import UsageError

__all__ = ["PayloadTooLarge", "UnsupportedUpload", "Upload", "read_body", "receive_files",
           "receive_upload"]

FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".zip": "zip"}
_TYPES = {"text/csv": "csv", "text/plain": "csv", "text/tab-separated-values": "csv",
          "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet",
          "application/parquet": "parquet", "application/zip": "zip"}


class PayloadTooLarge(UsageError):
    """The request body is over the server's limit."""

    http_status = 413


class UnsupportedUpload(UsageError):
    """The upload is neither CSV nor Parquet, or the form has no file."""

    http_status = 415


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MiB" if n >= 2**20 else f"{n} bytes"


def _too_large(limit: int, fix: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"the request body is larger than this server's limit of "
                           f"{_size(limit)}.", fix=fix)


def _check_length(request: Request, limit: int, fix: str) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise _too_large(limit, fix)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it passes ``limit`` bytes."""
    fix = "send fewer rows per request, or upload a file to /predict:batch."
    _check_length(request, limit, fix)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, fix)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Upload:
    """A received file: where it is on disk, its format and its size in bytes."""

    path: Path
    format: str
    size: int


def _format(filename: str | None, content_type: str, head: bytes) -> str:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "zip"  # a folder of files, for the families whose batches() read one
    if filename:
        fmt = FORMATS.get(Path(filename).suffix.lower())
        if fmt:
            return fmt
    fmt = _TYPES.get(content_type.split(";")[0].strip().lower())
    if fmt:
        return fmt
    if b"\x00" in head[:4096]:
        raise UnsupportedUpload("the upload is not a CSV or Parquet file.",
                                fix="upload a .csv or .parquet file.")
    return "csv"


async def receive_upload(request: Request, limit: int, folder: Path) -> Upload:
    """Stream the upload (multipart field ``file``, or the raw body) into ``folder``."""
    fix = "split the file, or score it offline with `bizforge predict NAME FILE -o OUT`."
    _check_length(request, limit, fix)
    content_type = request.headers.get("content-type", "")
    target = folder / "upload"
    if content_type.lower().startswith("multipart/form-data"):
        filename, part_type, size = await _multipart(request, limit, target, fix)
    else:
        filename, part_type, size = None, content_type, 0
        with open(target, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit, fix)
                out.write(chunk)
    if size == 0:
        raise UnsupportedUpload("the upload is empty.",
                                fix="send the file as the form field 'file' (curl -F "
                                    "file=@rows.csv) or as the request body.")
    with open(target, "rb") as fh:
        head = fh.read(8192)
    return Upload(target, _format(filename, part_type, head), size)


async def _multipart(request: Request, limit: int, target: Path, fix: str):
    """Stream the first form field ``file`` into ``target``: (filename, type, size)."""
    found: dict = {}
    with open(target, "wb") as out:
        def sink(filename: str, part_type: str):
            if found:  # only the first 'file' field is the upload
                return None
            found.update(filename=filename, type=part_type, size=0)

            def write(data: bytes) -> None:
                found["size"] += len(data)
                out.write(data)
            return write

        await _parse_form(request, limit, fix, lambda name: name == "file", sink)
    if not found:
        raise UnsupportedUpload("the form has no field named 'file'.",
                                fix="send the rows as the form field 'file' "
                                    "(curl -F file=@rows.csv ...).")
    return found["filename"], found["type"], found["size"]


async def receive_files(request: Request, limit: int, max_files: int
                        ) -> list[tuple[str, bytes]]:
    """Every file of a multipart form as ``(filename, bytes)``, held in memory.

    The whole form is refused past ``limit`` bytes (checked as it streams) or past
    ``max_files`` files, so memory stays within the limit whatever the client sends.
    """
    fix = (f"send at most {_size(limit)} and {max_files} files per request, or score a "
           "folder offline with `bizforge predict NAME FOLDER -o OUT.csv`.")
    _check_length(request, limit, fix)
    files: list[tuple[str, bytearray]] = []

    def sink(filename: str, part_type: str):
        if len(files) >= max_files:
            raise _too_large_count(max_files, fix)
        files.append((filename, bytearray()))
        return files[-1][1].extend

    await _parse_form(request, limit, fix, lambda name: True, sink, files_only=True)
    if not files:
        raise UnsupportedUpload("the form has no file.",
                                fix="send each file as a form field (curl -F "
                                    "file=@photo.jpg -F file=@other.png ...).")
    return [(name, bytes(data)) for name, data in files]


def _too_large_count(max_files: int, fix: str) -> PayloadTooLarge:
    return PayloadTooLarge(f"the form has more than {max_files} files.", fix=fix)


async def _parse_form(request: Request, limit: int, fix: str, wanted, sink, *,
                      files_only: bool = False) -> None:
    """Parse a multipart form as it streams; ``sink(filename, type)`` gives the writer of
    each wanted part (``wanted(field name)``), or None to skip the part."""
    try:
        from python_multipart.multipart import MultipartParser, parse_options_header
    except ImportError:  # pragma: no cover - depends on the environment
        raise UnsupportedUpload(
            "this server cannot read multipart forms (python-multipart is not installed).",
            fix="send the file as the raw request body with Content-Type: text/csv, or "
                "install python-multipart.") from None
    _, params = parse_options_header(request.headers["content-type"])
    boundary = params.get(b"boundary")
    if not boundary:
        raise UnsupportedUpload("the multipart form has no boundary.",
                                fix="let your HTTP client build the form (curl -F file=@x.csv).")
    state = {"field": b"", "value": b"", "headers": {}, "write": None}

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished():
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition"))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        is_file = b"filename" in disposition
        state["write"] = None
        if wanted(name) and (is_file or not files_only):
            state["write"] = sink(
                disposition.get(b"filename", b"").decode("utf-8", "replace"),
                state["headers"].get(b"content-type", b"").decode("latin-1"))

    def on_part_data(data, start, end):
        if state["write"] is not None:
            state["write"](data[start:end])

    def on_part_end():
        state["write"], state["headers"] = None, {}

    parser = MultipartParser(boundary, {
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data, "on_part_end": on_part_end})
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit, fix)
            parser.write(chunk)
        parser.finalize()
    except PayloadTooLarge:
        raise
    except Exception as exc:  # noqa: BLE001 - python-multipart's parse errors
        raise UnsupportedUpload(f"the multipart form could not be read ({type(exc).__name__}).",
                                fix="let your HTTP client build the form (curl -F "
                                    "file=@rows.csv).") from None
