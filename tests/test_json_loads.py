"""jsonfiles.loads (orjson where it gives what json.loads gives) against json.loads: every
known difference between the two parsers, and whole Zendesk files read both ways."""

from __future__ import annotations

import json
import random
import struct

import pytest

from itsm_diag.importers import jsonfiles

# where orjson differs from json.loads: it refuses these (json.loads must parse or raise as
# before) or, for integers beyond 64 bits, returns a float
DIFFERENCES = [
    '{"id": 18446744073709551616}',          # beyond uint64: orjson makes it 1.8e19
    '{"id": -9223372036854775809}',          # below int64
    '[1000000000000000000000000000000]',
    '{"v": NaN}', '[Infinity, -Infinity]',   # json.loads' extensions
    '[1e400, -1e400]',                       # out of the float range: json gives inf
    '{"s": "\\ud800"}', '{"\\udc00x": 1}',   # lone surrogate escapes
    '[' * 1100 + ']' * 1100,                 # deeper than orjson's 1,024 (json: RecursionError)
    '{"a": 1, "a": 2, "b": 3}',              # duplicate keys: the last value, first place
    '[9223372036854775807, 18446744073709551615, -0, -0.0, 0.1, 1E2, 5e-324]',
]
INVALID = ['{"a": 1', '[1,]', '01', '"\x01"', '{"a":1}{"b":2}', '\ufeff[1]', 'nul', '"\\x"']


def _outcome(parse, text):
    try:
        value = parse(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        return type(exc).__name__, str(exc)
    return "ok", repr(value), type(value).__name__


@pytest.mark.parametrize("text", DIFFERENCES + INVALID)
def test_loads_gives_what_json_loads_gives(text):
    assert _outcome(jsonfiles.loads, text) == _outcome(json.loads, text)


def test_big_integers_stay_integers():
    doc = jsonfiles.loads('{"id": 18446744073709551616, "n": [12345678901234567890123]}')
    assert doc == {"id": 18446744073709551616, "n": [12345678901234567890123]}
    assert type(doc["id"]) is int


def test_numbers_parse_to_the_same_floats_and_ints():
    rng = random.Random(3)
    for _ in range(20_000):
        bits = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        for number in (repr(bits), f"{rng.randint(-10**6, 10**6)}.{rng.randint(0, 10**12)}"
                       f"e{rng.randint(-330, 315)}", str(rng.randint(-2**63, 2**64))):
            if number in ("nan", "inf", "-inf"):
                continue
            text = f"[{number}]"
            assert _outcome(jsonfiles.loads, text) == _outcome(json.loads, text), text


def test_parse_and_read_json_unchanged_on_ndjson_and_pages(tmp_path):
    # NDJSON (first line a whole object), a page, and an NDJSON with a big id
    lines = [json.dumps({"ticket": {"id": i, "status": "open", "x": [1.5, None, "a"]}})
             for i in range(50)]
    lines[7] = '{"ticket": {"id": 123456789012345678901, "status": "open"}}'
    for name, text in (("a.ndjson", "\n".join(lines)),
                       ("b.json", json.dumps({"tickets": [{"id": 1, "v": 2.0}], "count": 1})),
                       ("c.json", "\ufeff" + json.dumps([{"id": 1e300, "s": "\u2028"}]))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        frame = jsonfiles.read_json(path)[0].frame
        assert len(frame) >= 1
    big = jsonfiles.read_json(tmp_path / "a.ndjson")[0].frame
    assert big["id"].iloc[7] == "123456789012345678901"
    # a whole float prints as the integer it is (as before orjson)
    assert jsonfiles.read_json(tmp_path / "c.json")[0].frame["id"].iloc[0] == str(int(1e300))
