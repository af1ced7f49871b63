#!/usr/bin/env python3
"""Writes the hostile-input catalogue: one small broken or hostile file (or folder) per case, for
every parser of outside data, and expected_errors.tsv with the exact message each must give.

Standard library only; nothing here parses or runs what it writes (pickles are written opcode by
opcode). Run from anywhere: python3 make_bad_files.py. The catalogue test
(tests/bad_input_catalogue_test.cpp) loads every case with its parser and compares the message;
a file here without a line in expected_errors.tsv fails that test.

The first folder of a case's path says which parser reads it:
  safetensors/*.safetensors   read_safetensors
  pytorch_bin/*.bin           read_pytorch_bin
  sharded/<case>/             load_checkpoint on the folder (model.safetensors.index.json + shards)
  config/*.json               load_config
  vocab_txt/*.txt             BertTokenizer::from_file
  bpe/<case>/                 Gpt2Tokenizer::from_files(vocab.json, merges.txt)
  glue/<task>/*.tsv           read_glue_file for that task's dev split
  npy/*.npy                   load_npy
In a message, {path} stands for the case's path as given to the parser.
"""
import json
import os
import shutil
import struct
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDERS = ["safetensors", "pytorch_bin", "sharded", "config", "vocab_txt", "bpe", "glue", "npy"]
cases = []  # (relative path, expected message)


for folder in FOLDERS:  # start clean, so a removed case leaves no stray file behind
    shutil.rmtree(os.path.join(HERE, folder), ignore_errors=True)


def write(relative, data):
    path = os.path.join(HERE, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data.encode() if isinstance(data, str) else data)


def case(relative, message, data=None, files=None):
    """A file case (data) or a folder case (files: {name: data}) and the message it must give."""
    if files is None:
        write(relative, data)
    else:
        for name, content in files.items():
            write(os.path.join(relative, name), content)
    cases.append((relative, message))


# ---- safetensors: 8-byte little-endian header length, JSON header, data ----------------------
def safetensors_file(header, data=b"", header_length=None):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    length = len(text) if header_length is None else header_length
    return struct.pack("<Q", length) + text + data


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


four_floats = struct.pack("<4f", 1, 2, 3, 4)
S = "safetensors/"
case(S + "too_short.safetensors", "{path}: file is 5 bytes, too short for the 8-byte header length",
     b"\x10\x00\x00\x00\x00")
case(S + "header_length_2_63.safetensors",
     "{path}: header length 9223372036854775808 exceeds the limit of 100000000 bytes",
     safetensors_file({}, header_length=1 << 63))
case(S + "header_past_end.safetensors", "{path}: header length 4096 runs past the end of the file (16 bytes)",
     safetensors_file({}, header_length=4096))
case(S + "not_json.safetensors", "{path}: header is not valid JSON (error at byte 2 of the header)",
     safetensors_file(b"{]"))
case(S + "nested_100000_deep.safetensors", "{path}: header JSON nests more than 8 levels deep",
     safetensors_file(b"[" * 100000 + b"]" * 100000))
case(S + "header_not_object.safetensors", "{path}: header is not a JSON object", safetensors_file(b"[1,2]"))
case(S + "negative_offsets.safetensors",
     "{path}: tensor 'w': 'data_offsets' must be two non-negative integers",
     safetensors_file({"w": tensor("F32", [4], -16, 0)}, four_floats))
case(S + "offsets_reversed.safetensors", "{path}: tensor 'w': data_offsets [16, 0) end before they begin",
     safetensors_file({"w": tensor("F32", [4], 16, 0)}, four_floats))
case(S + "offsets_past_end.safetensors",
     "{path}: tensor 'w': data_offsets [0, 1099511627776) run past the end of the data (16 bytes)",
     safetensors_file({"w": tensor("F32", [4], 0, 1 << 40)}, four_floats))
case(S + "overlapping.safetensors", "{path}: tensors 'a' [0, 8) and 'b' [4, 12) overlap",
     safetensors_file({"a": tensor("F32", [2], 0, 8), "b": tensor("F32", [2], 4, 12)}, four_floats))
case(S + "shape_disagrees.safetensors",
     "{path}: tensor 'w': data_offsets [0, 16) do not match shape [3, 3] of F32 (36 bytes)",
     safetensors_file({"w": tensor("F32", [3, 3], 0, 16)}, four_floats))
case(S + "shape_overflows.safetensors",
     "{path}: tensor 'w': shape [4294967296, 4294967296, 16] of F32 is too large",
     safetensors_file({"w": tensor("F32", [1 << 32, 1 << 32, 16], 0, 16)}, four_floats))
case(S + "unknown_dtype.safetensors",
     "{path}: tensor 'w': unknown dtype 'Q4' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
     safetensors_file({"w": tensor("Q4", [4], 0, 16)}, four_floats))
case(S + "shape_wrong_type.safetensors", "{path}: tensor 'w': 'shape' must be a list of non-negative integers",
     safetensors_file({"w": {"dtype": "F32", "shape": "4", "data_offsets": [0, 16]}}, four_floats))
case(S + "invalid_utf8_name.safetensors", "{path}: header is not valid JSON (error at byte 4 of the header)",
     safetensors_file(b'{"w\xff":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', four_floats))


# ---- pytorch_model.bin: pickles written opcode by opcode, in a zip or the legacy format --------
def unicode(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def call_global(module, name, argument):
    """A pickle that calls module.name(argument): what a malicious checkpoint does."""
    return (b"\x80\x02" + b"c" + module.encode() + b"\n" + name.encode() + b"\n"
            + unicode(argument) + b"\x85" + b"R" + b".")


def zip_file(entries):
    import io
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def legacy_file(pickle):
    magic = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + b"."
    protocol = b"\x80\x02M" + struct.pack("<H", 1001) + b"."
    sys_info = b"\x80\x02}(" + unicode("little_endian") + b"\x88u."
    keys = b"\x80\x02](e."
    return magic + protocol + sys_info + pickle + keys


REFUSAL = " (only tensor rebuild functions, storage types and OrderedDict are allowed)"
P = "pytorch_bin/"
case(P + "os_system.bin", "{path}: refusing to load global 'os.system'" + REFUSAL,
     zip_file([("archive/data.pkl", call_global("os", "system", "echo pwned")), ("archive/version", "3\n")]))
case(P + "builtins_eval_legacy.bin", "{path}: refusing to load global 'builtins.eval'" + REFUSAL,
     legacy_file(call_global("builtins", "eval", "__import__('os')")))
posix_system = b"\x80\x04\x8c\x05posix\x8c\x06system\x93" + unicode("echo pwned") + b"\x85R."
case(P + "posix_system_stack_global.bin", "{path}: refusing to load global 'posix.system'" + REFUSAL,
     zip_file([("archive/data.pkl", posix_system)]))
case(P + "not_a_checkpoint.bin", "{path}: not a PyTorch checkpoint (neither a zip archive nor a pickle)",
     "just some text\n")
good_zip = zip_file([("archive/data.pkl", b"\x80\x02}."), ("archive/data/0", four_floats)])
case(P + "truncated_zip.bin", "{path}: zip archive is truncated or corrupt (no end-of-central-directory record)",
     good_zip[: len(good_zip) // 2])
# A zip-bomb-like entry: the central directory declares 4 GB for a 16-byte entry.
central = good_zip.rindex(b"PK\x01\x02")  # the last entry's central header (archive/data/0)
bomb = bytearray(good_zip)
bomb[central + 20:central + 28] = struct.pack("<II", 0xFFFFFFF0, 0xFFFFFFF0)
case(P + "zip_entry_4gb.bin", "{path}: zip entry 'archive/data/0' declares 4294967280 bytes at offset 94, past the end of the file (254 bytes)", bytes(bomb))
case(P + "no_data_pkl.bin", "{path}: zip archive has no '*/data.pkl': not a PyTorch checkpoint",
     zip_file([("archive/weights", four_floats)]))


# ---- sharded checkpoints: a folder with model.safetensors.index.json and shards ---------------
shard_a = safetensors_file({"w": tensor("F32", [4], 0, 16)}, four_floats)
shard_b = safetensors_file({"v": tensor("F32", [4], 0, 16)}, four_floats)
INDEX = "model.safetensors.index.json"
H = "sharded/"
case(H + "shard_outside_folder", "{path}/" + INDEX + ": tensor 'w' maps to something that is not a file "
     "name in the folder", files={INDEX: json.dumps({"weight_map": {"w": "../a.safetensors"}})})
case(H + "absolute_shard_path", "{path}/" + INDEX + ": tensor 'w' maps to something that is not a file "
     "name in the folder", files={INDEX: json.dumps({"weight_map": {"w": "/etc/passwd"}})})
case(H + "missing_shard", "{path}/" + INDEX + ": shard 'b.safetensors' (holding 'v') is missing",
     files={INDEX: json.dumps({"weight_map": {"w": "a.safetensors", "v": "b.safetensors"}}),
            "a.safetensors": shard_a})
case(H + "tensor_not_in_its_shard",
     "{path}/" + INDEX + ": tensor 'v' should be in shard 'a.safetensors', which lacks it",
     files={INDEX: json.dumps({"weight_map": {"w": "a.safetensors", "v": "a.safetensors"}}),
            "a.safetensors": shard_a})
case(H + "tensor_in_two_shards", "{path}/model.safetensors.index.json: tensor 'v' is in both 'a.safetensors' and 'b.safetensors'",
     files={INDEX: json.dumps({"weight_map": {"w": "a.safetensors", "v": "b.safetensors"}}),
            "a.safetensors": safetensors_file({"w": tensor("F32", [2], 0, 8), "v": tensor("F32", [2], 8, 16)},
                                              four_floats),
            "b.safetensors": shard_b})
case(H + "no_weight_map", "{path}/" + INDEX + ": has no \"weight_map\" object",
     files={INDEX: json.dumps({"metadata": {}, "weight_map": ["a.safetensors"]})})
case(H + "empty_weight_map", "{path}/" + INDEX + ": weight_map is empty", files={INDEX: '{"weight_map": {}}'})
case(H + "index_not_json", "{path}/" + INDEX + ": not valid JSON (error at byte 16)",
     files={INDEX: '{"weight_map": '})
case(H + "shard_name_not_string", "{path}/model.safetensors.index.json: tensor 'w' maps to something that is not a file name in the folder", files={INDEX: json.dumps({"weight_map": {"w": 7}})})


# ---- config.json -----------------------------------------------------------------------------
bert_config = {"model_type": "bert", "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2,
               "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 64}


def config_with(**changes):
    config = dict(bert_config)
    for key, value in changes.items():
        if value is None:
            del config[key]
        else:
            config[key] = value
    return json.dumps(config, indent=2)


C = "config/"
case(C + "empty.json", "{path}: not valid JSON (error at byte 1)", "")
case(C + "truncated.json", "{path}: not valid JSON (error at byte 41)", config_with()[:40])
case(C + "not_an_object.json", "{path}: must hold a JSON object", "[1, 2, 3]")
case(C + "nested_100000_deep.json", "{path}: must hold a JSON object", "[" * 100000 + "]" * 100000)
case(C + "number_overflow.json", "{path}: not valid JSON (a number is out of range)", config_with(hidden_size=1).replace('"hidden_size": 1', '"hidden_size": 1e999'))
case(C + "invalid_utf8.json", "{path}: not valid JSON (error at byte 21)", config_with().replace('"bert"', '"b\xff"').encode("latin-1"))
case(C + "no_model_type.json", "{path}: no \"model_type\" (bert, openai-gpt or gpt2)", config_with(model_type=None))
case(C + "unknown_model_type.json", "{path}: unsupported model_type 'llama' (this library builds bert, openai-gpt and gpt2)", config_with(model_type="llama"))
case(C + "heads_as_string.json", "{path}: \"num_attention_heads\" must be an integer, got \"four\"", config_with(num_attention_heads="four"))
case(C + "negative_hidden_size.json", "{path}: hidden size must be positive, got -32", config_with(hidden_size=-32))
case(C + "hidden_not_multiple_of_heads.json", "{path}: hidden size 30 is not a multiple of the number of heads 4", config_with(hidden_size=30))
case(C + "huge_vocab.json", "{path}: vocab_size 4611686018427387904 is too large (at most 2147483647)", config_with(vocab_size=1 << 62))
case(C + "dropout_above_one.json", "{path}: dropout probability 1.5 is outside [0, 1)", config_with(hidden_dropout_prob=1.5))
case(C + "pruned_head_out_of_range.json", "{path}: pruned_heads['0'] holds 9, not a head in [0, 4)", config_with(pruned_heads={"0": [9]}))


# ---- vocab.txt (BERT) ------------------------------------------------------------------------
specials = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"
V = "vocab_txt/"
case(V + "empty.txt", "{path}: empty vocabulary", "")
case(V + "invalid_utf8.txt", "{path}: not valid UTF-8", (specials + "caf\xe9\n").encode("latin-1"))
case(V + "nul_byte.txt", "{path}:6: NUL byte; a vocab.txt holds one token per line", specials + "ab\0c\n")
case(V + "no_special_tokens.txt", "{path}: BERT vocabulary has no [UNK] token (is this a vocab.txt?)", "the\ncat\n")
case(V + "binary.txt", "{path}: not valid UTF-8", bytes(range(256)) * 4)


# ---- vocab.json + merges.txt (GPT-2 byte-level BPE) --------------------------------------------
def byte_symbols():
    """GPT-2's bytes_to_unicode: the 256 symbols a byte-level vocabulary must hold."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    symbols, extra = {}, 0
    for b in range(256):
        if b in printable:
            symbols[b] = chr(b)
        else:
            symbols[b] = chr(256 + extra)
            extra += 1
    return [symbols[b] for b in range(256)]


byte_vocab = {symbol: i for i, symbol in enumerate(byte_symbols())}
good_vocab = dict(byte_vocab, **{"ab": 256, "<|endoftext|>": 257})
good_vocab_json = json.dumps(good_vocab)
good_merges = "#version: 0.2\na b\n"
B = "bpe/"
case(B + "vocab_not_json", "{path}/vocab.json: not valid JSON (error at byte 9)", files={"vocab.json": '{"a": 0,', "merges.txt": good_merges})
case(B + "vocab_not_object", "{path}/vocab.json: must hold a JSON object {\"token\": id, ...}", files={"vocab.json": "[1, 2]", "merges.txt": good_merges})
case(B + "vocab_id_not_integer", "{path}/vocab.json: the id of token 'ab' is not an integer", files={"vocab.json": json.dumps(dict(good_vocab, ab="one")),
                                            "merges.txt": good_merges})
case(B + "vocab_negative_id", "{path}/vocab.json: token 'ab' has id -3 (ids must be in [0, 2^31))", files={"vocab.json": json.dumps(dict(good_vocab, ab=-3)),
                                         "merges.txt": good_merges})
case(B + "vocab_huge_id", "{path}/vocab.json: token 'ab' has id 1099511627776 (ids must be in [0, 2^31))", files={"vocab.json": json.dumps(dict(good_vocab, ab=1 << 40)),
                                     "merges.txt": good_merges})
case(B + "vocab_without_byte_symbols", "{path}/vocab.json: GPT-2 vocabulary lacks the symbol 'Ā' of byte 0 (is this a byte-level vocab.json?)", files={"vocab.json": '{"a": 0, "b": 1}', "merges.txt": "#version: 0.2\n"})
case(B + "vocab_invalid_utf8", "{path}/vocab.json: not valid JSON (error at byte 3298)", files={"vocab.json": good_vocab_json.encode()[:-1] + b', "\xff": 999}',
                                          "merges.txt": good_merges})
case(B + "merges_one_token", "{path}/merges.txt:2: expected two tokens separated by one space, got 'ab'", files={"vocab.json": good_vocab_json, "merges.txt": "#version: 0.2\nab\n"})
case(B + "merges_unknown_token", "{path}/merges.txt:2: token 'zz' is not in the vocabulary", files={"vocab.json": good_vocab_json, "merges.txt": "#version: 0.2\na zz\n"})
case(B + "merges_invalid_utf8", "{path}/merges.txt: not valid UTF-8", files={"vocab.json": good_vocab_json,
                                           "merges.txt": b"#version: 0.2\na \xff\n"})
case(B + "merges_missing", "{path}/merges.txt: cannot open: No such file or directory", files={"vocab.json": good_vocab_json})


# ---- GLUE TSV files (each read as its task's dev split) ----------------------------------------
G = "glue/"
case(G + "cola/too_few_columns.tsv", "{path}:2: expected at least 4 tab-separated columns for the cola dev file, found 2", "gj04\t1\t\tOur friends won't buy this.\ngj04\t1\n")
case(G + "cola/unknown_label.tsv", "{path}:1: unknown label '7' for task 'cola' (labels: 0, 1)", "gj04\t7\t\tOur friends won't buy this.\n")
case(G + "cola/invalid_utf8.tsv", "{path}:1: invalid UTF-8 at byte 22 of the line", b"gj04\t1\t\tOur friends w\xf6n't buy this.\n")
case(G + "cola/nul_byte.tsv", "{path}:1: the line contains a NUL byte", "gj04\t1\t\tOur friends\0 won't buy this.\n")
case(G + "cola/empty.tsv", "{path}: no examples for GLUE task 'cola' (the file is empty)", "")
case(G + "sts-b/score_not_a_number.tsv", "{path}:2: label 'five' of task 'sts-b' is not a number",
     "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
     "0\tmain\tf\t2012\t1\tnone\tnone\tA plane.\tAn air plane.\tfive\n")
case(G + "mnli/unknown_label.tsv", "{path}:2: unknown label 'maybe' for task 'mnli' (labels: contradiction, entailment, neutral)",
     "index\tpromptID\tpairID\tgenre\ts1bp\ts2bp\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n"
     "0\t1\t2\tg\tx\tx\tx\tx\tThe cat.\tA cat.\tentailment\tmaybe\n")
case(G + "mrpc/header_only.tsv", "{path}: no examples for GLUE task 'mrpc' (the file is empty or has only a header line)", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n")


# ---- .npy ------------------------------------------------------------------------------------
def npy_file(header_text, data=b"", version=1, header_length=None):
    length_size = 2 if version == 1 else 4
    header = header_text + " " * (-(10 + (length_size - 2) + len(header_text) + 1) % 64) + "\n"
    length = len(header) if header_length is None else header_length
    return (b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<H" if version == 1 else "<I", length)
            + header.encode("latin-1") + data)


def npy_header(descr="<f4", fortran="False", shape="(4,)"):
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


N = "npy/"
case(N + "bad_magic.npy", "{path}: not a .npy file (the magic string \\x93NUMPY is missing)", b"\x93NUMPX\x01\x00" + b"\x00" * 60)
case(N + "too_short.npy", "{path}: not a .npy file (too short)", b"\x93NUM")
case(N + "unknown_version.npy", "{path}: unsupported .npy format version 7.0 (1.0, 2.0 and 3.0 are read)", npy_file(npy_header(), four_floats)[:6] + b"\x07\x00"
     + npy_file(npy_header(), four_floats)[8:])
case(N + "header_past_end.npy", "{path}: the header length 60000 runs past the end of the file (128 bytes)", npy_file(npy_header(), b"", header_length=60000))
case(N + "header_length_4gb.npy", "{path}: the header length 4294967295 runs past the end of the file (128 bytes)", npy_file(npy_header(), b"", version=2, header_length=0xFFFFFFFF))
case(N + "header_not_a_dict.npy", "{path}: malformed header: expected '{' at offset 0 (header: [1, 2, 3])", npy_file("[1, 2, 3]", four_floats))
case(N + "unsupported_dtype.npy", "{path}: unsupported dtype '<c8' (supported: '<f4', '<f8', '<i8')", npy_file(npy_header(descr="<c8"), four_floats))
case(N + "big_endian.npy", "{path}: unsupported dtype '>f4' (supported: '<f4', '<f8', '<i8')", npy_file(npy_header(descr=">f4"), four_floats))
case(N + "object_dtype.npy", "{path}: unsupported dtype '|O' (supported: '<f4', '<f8', '<i8')", npy_file(npy_header(descr="|O"), four_floats))
case(N + "fortran_order.npy", "{path}: Fortran-order arrays are not supported (save in C order)", npy_file(npy_header(shape="(2, 2)", fortran="True"), four_floats))
case(N + "negative_dimension.npy", "{path}: malformed header: expected a non-negative integer at offset 51 (header: {'descr': '<f4', 'fortran_order': False, 'shape': (-4,), })", npy_file(npy_header(shape="(-4,)"), four_floats))
case(N + "shape_overflows.npy", "{path}: shape [4294967296, 4294967296, 4] is too large", npy_file(npy_header(shape="(4294967296, 4294967296, 4)"), four_floats))
case(N + "data_truncated.npy", "{path}: shape [8] of '<f4' needs 32 data bytes, the file has 16", npy_file(npy_header(shape="(8,)"), four_floats))
case(N + "trailing_data.npy", "{path}: shape [4] of '<f4' needs 16 data bytes, the file has 20", npy_file(npy_header(), four_floats + b"\x00" * 4))
case(N + "header_missing_shape.npy", "{path}: malformed header: the header needs the keys 'descr', 'fortran_order' and 'shape' (header: {'descr': '<f4', 'fortran_order': False, })", npy_file("{'descr': '<f4', 'fortran_order': False, }", four_floats))


# ---- the manifest --------------------------------------------------------------------------
with open(os.path.join(HERE, "expected_errors.tsv"), "w") as out:
    out.write("# case\texpected message ({path}: the case's path). Written by make_bad_files.py.\n")
    for relative, message in cases:
        out.write(relative + "\t" + message + "\n")
