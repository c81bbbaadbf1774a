"""The checks every uploaded document passes before it is stored (DESIGN §9).

The extension must be one of the accepted ones, the size within the limit, and the first
bytes must look like that kind of file (plain text must be UTF-8). Each message names the
file, so a person who sent several knows which one to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile

from core.exceptions import ApplicationError

# Extension → the bytes a real file of that type starts with (None: plain text, checked as UTF-8).
Signatures = Mapping[str, tuple[bytes, ...] | None]


def accepted_label(types: Signatures) -> str:
    """The accepted types for a person to read: "DOCX, MD, PDF"."""
    return ", ".join(extension.lstrip(".").upper() for extension in sorted(types))


def check_upload(upload: UploadedFile, *, types: Signatures, max_bytes: int) -> str:
    """The file's lower-case extension, or an ApplicationError that names the file."""
    extension = PurePath(upload.name or "").suffix.lower()
    if extension not in types:
        allowed = ", ".join(sorted(types))
        raise ApplicationError(
            f"{upload.name}: files of this type are not accepted. Accepted: {allowed}."
        )
    if upload.size > max_bytes:
        raise ApplicationError(
            f"{upload.name}: the file is larger than {max_bytes // (1024 * 1024)} MB."
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    signatures = types[extension]
    if signatures is None:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            # A multi-byte character cut at the end of the sample is fine.
            if error.start < len(head) - 3:
                raise ApplicationError(f"{upload.name}: the content is not UTF-8 text.") from None
    elif not head.startswith(signatures):
        raise ApplicationError(
            f"{upload.name}: the content does not match its {extension} extension."
        )
    return extension
