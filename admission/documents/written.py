"""A PDF as WeasyPrint made it, before it is written: pydyf's objects, read through the part of pypdf's interface the
OFD's content-stream reader uses (`pages`, `mediabox`, `get_contents`, `get_object`, `get_data`, `get`, `idnum`).

The OFD is made from the same layout as the PDF; reading these objects instead of parsing the written file back
saves the OFD most of its time (pypdf's parsing of the fonts' width arrays and of the object streams)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydyf


class Name(str):
    """A PDF name ("/Form"), which pypdf's readers may ask for its object."""

    def get_object(self) -> Name:
        return self


@dataclass(frozen=True)
class Box:
    width: float
    height: float


class Written:
    """The objects of `pdf` (a `pydyf.PDF`), by number."""

    def __init__(self, pdf: Any):
        self.objects: list[Any] = pdf.objects
        kids = pdf.pages["Kids"]  # pydyf lists them as (number, 0, "R") triples
        self.pages = [Page(self, self.objects[int(number)]) for number in kids[::3]]

    def value(self, value: Any) -> Any:
        if isinstance(value, bytes):
            if value.endswith(b" R"):
                return Reference(self, int(value.split()[0]))
            if value.startswith(b"/"):  # names WeasyPrint gives as bytes (fonts' names)
                return Name(value.decode("latin-1"))
        if isinstance(value, pydyf.Stream):
            return Stream(self, value)
        if isinstance(value, dict):
            return Dictionary(self, value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str) and value.startswith("/"):
            return Name(value)
        return value


class Reference:
    def __init__(self, written: Written, number: int):
        self.written = written
        self.idnum = number

    def get_object(self) -> Any:
        return self.written.value(self.written.objects[self.idnum])

    # Used in place of its object, as pypdf's indirect objects may be.
    def __getattr__(self, name: str) -> Any:
        return getattr(self.get_object(), name)

    def __getitem__(self, key: str) -> Any:
        return self.get_object()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.get_object()


class Dictionary:
    def __init__(self, written: Written, entries: dict[str, Any]):
        self.written = written
        self.entries = entries

    def get_object(self) -> Dictionary:
        return self

    def get(self, key: str, default: Any = None) -> Any:
        name = key.removeprefix("/")
        return self.written.value(self.entries[name]) if name in self.entries else default

    def __getitem__(self, key: str) -> Any:
        return self.written.value(self.entries[key.removeprefix("/")])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.removeprefix("/") in self.entries

    def values(self) -> list[Any]:
        return [self.written.value(value) for value in self.entries.values()]

    def __iter__(self) -> Any:
        return iter("/" + key for key in self.entries)


class Stream(Dictionary):
    def __init__(self, written: Written, stream: Any):
        super().__init__(written, stream.extra)
        self.stream = stream

    def get_data(self) -> bytes:
        if "Filter" in self.entries:  # given already encoded (images): the OFD reader never decodes these
            raise ValueError("an encoded stream")
        # The bytes pydyf writes before it compresses them (`Stream.data`).
        return b"\n".join(pydyf._to_bytes(item) for item in self.stream.stream)


class Page(Dictionary):
    def __init__(self, written: Written, page: dict[str, Any]):
        super().__init__(written, page)
        x0, y0, x1, y1 = (float(v) for v in page["MediaBox"])
        self.mediabox = Box(x1 - x0, y1 - y0)

    def get_contents(self) -> Stream | None:
        contents = self.get("/Contents")
        return contents.get_object() if contents is not None else None
