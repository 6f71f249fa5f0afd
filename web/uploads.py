"""Upload size limits enforced while the request body streams in, not after it has been read.

`SizeLimitedUploadHandler` comes first in FILE_UPLOAD_HANDLERS. It counts each file's bytes as they arrive:

- a file that passes its limit is kept no further (the handlers after it get no more of it and drop what they had);
  when the whole request is within ADMISSION_MAX_REQUEST_BYTES the rest of the body is still read, so every other
  field of the form is kept, and the file becomes an `OversizedUpload` holding only its name and size;
- when the request declares more than ADMISSION_MAX_REQUEST_BYTES, reading stops as soon as a file passes its limit
  or the request passes its own: what was read so far is kept, the file in progress becomes an `OversizedUpload`, and
  the rest of the body is never read.

Either way the form sees the file and says, in Chinese, which file is too big and what the limit is (never a 500).
"""

from __future__ import annotations

from typing import IO, Any, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict

from admission.services.uploads import OversizedUpload


class _Bounded:
    """A stream that ends after `limit` bytes, whatever the client declared."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._stream.read(size)
        self._left -= len(data)
        return data


class SizeLimitedUploadHandler(FileUploadHandler):
    def __init__(
        self,
        request: HttpRequest | None = None,
        *,
        file_limit: int | None = None,
        request_limit: int | None = None,
        stop_reading: bool = False,
    ) -> None:
        super().__init__(request)
        self.file_limit = file_limit or settings.ADMISSION_MAX_UPLOAD_BYTES
        self.request_limit = request_limit or settings.ADMISSION_MAX_REQUEST_BYTES
        self.stop_reading = stop_reading  # set on the handler of the bounded inner parse
        self.refused: list[tuple[str, OversizedUpload]] = []
        self._received = 0
        self._request_received = 0
        self._over = False
        self.later: list[FileUploadHandler] | None = None

    def _later(self) -> list[FileUploadHandler]:
        """The handlers after this one (memory, temporary file): they keep what this one lets through."""
        if self.later is None:
            handlers = list(self.request.upload_handlers) if self.request is not None else []
            self.later = handlers[handlers.index(self) + 1 :] if self in handlers else []
        return self.later

    # -- the whole request ---------------------------------------------------------------------------------------

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]] | None:
        if self.stop_reading or content_length <= self.request_limit:
            return None  # Django parses the body, calling us for each file
        # The client declares more than we take: parse at most request_limit bytes, stop at the first file too big.
        inner = type(self)(
            self.request, file_limit=self.file_limit, request_limit=self.request_limit, stop_reading=True
        )
        later = inner.later = self._later()
        bounded = cast(IO[bytes], _Bounded(input_data, self.request_limit))
        post, files = MultiPartParser(META, bounded, [inner, *later], encoding).parse()
        for field_name, placeholder in inner.refused:
            if placeholder not in files.getlist(field_name):
                files.appendlist(field_name, placeholder)
        return post, files

    # -- one file ------------------------------------------------------------------------------------------------

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self._received = 0
        self._over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._received += len(raw_data)
        self._request_received += len(raw_data)
        if not self._over and self._received > self.file_limit:
            self._over = True
            self._drop_later_handlers()
        if self.stop_reading and (self._over or self._request_received > self.request_limit):
            self._refuse(size_known=False, request_limit=None if self._over else self.request_limit)
            raise StopUpload(connection_reset=True)  # read no further
        return None if self._over else raw_data

    def file_complete(self, file_size: int) -> OversizedUpload | None:
        if not self._over:
            return None  # the next handler (memory or temporary file) returns the file
        return self._refuse(size_known=True, request_limit=None)

    def upload_interrupted(self) -> None:
        # The bounded body ended inside a file: that file is cut off at the request's limit.
        if self.stop_reading and self.file_name and not any(p.name == self.file_name for _f, p in self.refused):
            self._refuse(size_known=False, request_limit=self.request_limit)

    def _refuse(self, *, size_known: bool, request_limit: int | None) -> OversizedUpload:
        placeholder = OversizedUpload(
            name=self.file_name or "",
            size=self._received,
            limit=self.file_limit,
            size_known=size_known,
            request_limit=request_limit,
        )
        self.refused.append((self.field_name or "", placeholder))
        return placeholder

    def _drop_later_handlers(self) -> None:
        """What the memory or temporary-file handler holds of this file is thrown away now, not at the end."""
        for handler in self._later():
            handler.upload_interrupted()
            if hasattr(handler, "file"):
                handler.file.close()
