"""Cutting a font down to a character set: with HarfBuzz (libharfbuzz-subset, through cffi,
~0.1 s for a Noto CJK face) or fontTools (pure Python, ~15 s). Used by fonts.py."""

from __future__ import annotations

import ctypes.util
import io
import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _hb():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef("""
        typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;
        typedef struct hb_set_t hb_set_t; typedef struct hb_subset_input_t hb_subset_input_t;
        typedef uint32_t hb_codepoint_t;
        hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
        void hb_blob_destroy(hb_blob_t *blob);
        const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
        hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
        void hb_face_destroy(hb_face_t *face);
        hb_blob_t *hb_face_reference_blob(hb_face_t *face);
        void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
        void hb_set_clear(hb_set_t *set);
        uint32_t hb_tag_from_string(const char *str, int len);
        hb_subset_input_t *hb_subset_input_create_or_fail(void);
        void hb_subset_input_destroy(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
        hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
        hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
    """)
    hb = ffi.dlopen(ctypes.util.find_library("harfbuzz"))
    hbs = ffi.dlopen(ctypes.util.find_library("harfbuzz-subset"))
    return ffi, hb, hbs


_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
_HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6
# Vertical metrics: certificates are set horizontally; WeasyPrint would embed 4 bytes a glyph.
DROPPED_TABLES = ("vhea", "vmtx", "VORG")
# The OpenType features HarfBuzz applies to horizontal text by default. `locl` matters: the SC
# face's localized forms (digits, quotes, dashes) are what the full font prints. Vertical forms
# and the rest are left out.
HORIZONTAL_FEATURES = ("abvm", "blwm", "calt", "ccmp", "clig", "curs", "dist", "kern", "liga", "locl", "mark",
                       "mkmk", "rclt", "rlig")


def harfbuzz(path: Path, index: int, chars: frozenset[str]) -> bytes:
    ffi, hb, hbs = _hb()
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(path))
    if blob == ffi.NULL:
        raise OSError(f"cannot read {path}")
    face = hb.hb_face_create(blob, index)
    hb.hb_blob_destroy(blob)
    inp = hbs.hb_subset_input_create_or_fail()
    try:
        unicodes = hbs.hb_subset_input_unicode_set(inp)
        for c in sorted(chars):
            hb.hb_set_add(unicodes, ord(c))
        features = hbs.hb_subset_input_set(inp, _HB_SUBSET_SETS_LAYOUT_FEATURE_TAG)
        hb.hb_set_clear(features)
        for tag in HORIZONTAL_FEATURES:
            hb.hb_set_add(features, hb.hb_tag_from_string(tag.encode(), 4))
        drop = hbs.hb_subset_input_set(inp, _HB_SUBSET_SETS_DROP_TABLE_TAG)
        for tag in DROPPED_TABLES:
            hb.hb_set_add(drop, hb.hb_tag_from_string(tag.encode(), 4))
        out = hbs.hb_subset_or_fail(face, inp)
        if out == ffi.NULL:
            raise OSError(f"HarfBuzz could not subset {path}")
        out_blob = hb.hb_face_reference_blob(out)
        size = ffi.new("unsigned int *")
        data = bytes(ffi.buffer(hb.hb_blob_get_data(out_blob, size), size[0]))
        hb.hb_blob_destroy(out_blob)
        hb.hb_face_destroy(out)
        return data
    finally:
        hbs.hb_subset_input_destroy(inp)
        hb.hb_face_destroy(face)


def fonttools(path: Path, index: int, chars: frozenset[str]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = list(HORIZONTAL_FEATURES)
    options.drop_tables += list(DROPPED_TABLES)
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(path, fontNumber=index, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return buf.getvalue()
