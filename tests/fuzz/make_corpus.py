#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (Python standard library only).

Seeds are tiny valid inputs, some built by hand (safetensors, .npy, pytorch_model.bin written
opcode by opcode, never unpickled) and some cut from tests/data. Run: python3 make_corpus.py
"""
import json
import os
import struct
import zipfile
import io

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")
SEP = b"\n%%%%\n"  # fuzz::kSeparator in fuzz_input.h


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def read(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


# --- safetensors: 8-byte header length, JSON header, data ---
def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


write("safetensors_fuzz", "f32.safetensors",
      safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))}, {"format": "pt"}))
write("safetensors_fuzz", "mixed.safetensors", safetensors({
    "a": ("F16", [3], struct.pack("<3e", 1, -2, 0.5)),
    "b": ("BF16", [2], b"\x80\x3f\x00\xc0"),
    "c": ("I64", [2], struct.pack("<2q", 7, -1)),
    "d": ("BOOL", [2], b"\x01\x00"),
    "e": ("F64", [1], struct.pack("<d", 3.5)),
    "f": ("F32", [0, 3], b""),
    "g": ("F32", [], struct.pack("<f", 9)),
}))
write("safetensors_fuzz", "expected_pooler.safetensors",
      read("fixtures", "bert_small", "expected_pooler.safetensors"))

# --- pytorch_model.bin: a pickle of {name: _rebuild_tensor_v2(storage, ...)} ---
def unicode(text):
    data = text.encode()
    return b"X" + struct.pack("<I", len(data)) + data


def ordered_dict():
    return b"ccollections\nOrderedDict\n)R"


def state_dict_pickle(persistent_id):
    """{'w': a (2, 2) float tensor over storage '0'} as PyTorch pickles it."""
    return (b"\x80\x02" + ordered_dict() + b"(" + unicode("w")
            + b"ctorch._utils\n_rebuild_tensor_v2\n("
            + b"(" + persistent_id + b"tQ"       # storage: persistent_load(tuple)
            + b"K\x00" + b"K\x02K\x02\x86" + b"K\x02K\x01\x86" + b"\x89" + ordered_dict()
            + b"tRu.")


floats = struct.pack("<4f", 1, 2, 3, 4)
zip_pickle = state_dict_pickle(unicode("storage") + b"ctorch\nFloatStorage\n" + unicode("0")
                               + unicode("cpu") + b"K\x04")
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
    for name, data in [("archive/data.pkl", zip_pickle), ("archive/data/0", floats), ("archive/version", "3\n")]:
        archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)  # reproducible
write("pytorch_bin_fuzz", "zip.bin", buffer.getvalue())

legacy_pickle = state_dict_pickle(unicode("storage") + b"ctorch\nFloatStorage\n" + unicode("0")
                                  + unicode("cpu") + b"K\x04N")
magic = b"\x80\x02\x8a\x0a" + (0x1950A86A20F9469CFC6C).to_bytes(10, "little") + b"."
protocol = b"\x80\x02M" + struct.pack("<H", 1001) + b"."
sys_info = b"\x80\x02}(" + unicode("little_endian") + b"\x88u."
keys = b"\x80\x02](" + unicode("0") + b"e."
write("pytorch_bin_fuzz", "legacy.bin",
      magic + protocol + sys_info + legacy_pickle + keys + struct.pack("<q", 4) + floats)
write("pytorch_bin_fuzz", "os_system.bin", read("bad", "pytorch_bin", "os_system.bin"))
write("pytorch_bin_fuzz", "builtins_eval_legacy.bin", read("bad", "pytorch_bin", "builtins_eval_legacy.bin"))

# --- config.json ---
for family in ["bert_small", "openai_gpt_lm", "gpt2_lm", "bert_regression"]:
    write("config_fuzz", family + ".json", read("fixtures", family, "model", "config.json"))
write("config_fuzz", "pruned.json", read("fixtures", "bert_small", "model_pruned", "config.json"))

# --- BERT tokenizer: options byte, vocab.txt, text a, text b ---
bert_vocab = "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "cat", "sat",
                        "on", "mat", "##s", "##ing", "play", ",", ".", "!", "é", "中", "un",
                        "##aff", "##able"]).encode() + b"\n"
write("bert_tokenizer_fuzz", "basic", b"\x0f" + bert_vocab + SEP + b"The cats sat on the mat."
      + SEP + b"Playing, unaffable!")
write("bert_tokenizer_fuzz", "unicode", b"\x3d" + bert_vocab + SEP
      + "Héllo 中文 [MASK] x\u00a0y\x00z".encode() + SEP + b"\xff\xfe bad utf-8")

# --- GPT-2 / OpenAI GPT tokenizers: selector byte, vocab.json, merges.txt, text ---
gpt2_vocab = json.loads(read("tokenizer", "gpt2", "vocab.json"))
gpt2_merge_lines = read("tokenizer", "gpt2", "merges.txt").decode().split("\n")[1:120]
small_vocab = {token: i for token, i in gpt2_vocab.items() if i < 256}
for line in gpt2_merge_lines:
    merged = line.replace(" ", "")
    if merged in gpt2_vocab:
        small_vocab[merged] = gpt2_vocab[merged]
small_vocab["<|endoftext|>"] = gpt2_vocab["<|endoftext|>"]
small_vocab = {token: i for i, token in enumerate(sorted(small_vocab, key=small_vocab.get))}
gpt2_merges = ("#version: 0.2\n" + "\n".join(gpt2_merge_lines) + "\n").encode()
write("gpt2_tokenizer_fuzz", "gpt2", b"\x00" + json.dumps(small_vocab).encode() + SEP + gpt2_merges
      + SEP + "Hello world, the <|endoftext|> in  an 'll 123 ünïcode \U0001F600".encode())
gpt_vocab = json.loads(read("tokenizer", "openai_gpt", "vocab.json"))
gpt_merge_lines = read("tokenizer", "openai_gpt", "merges.txt").decode().split("\n")[1:60]
gpt_small = {token: i for token, i in gpt_vocab.items() if i < 120}
for line in gpt_merge_lines:  # a merge needs both parts and the result in the vocabulary
    for token in line.split(" ") + [line.replace(" ", "")]:
        gpt_small[token] = gpt_vocab[token]
gpt_small = {token: i for i, token in enumerate(sorted(gpt_small, key=gpt_small.get))}
write("gpt2_tokenizer_fuzz", "openai_gpt", b"\x01" + json.dumps(gpt_small).encode() + SEP
      + ("#version: 0.2\n" + "\n".join(gpt_merge_lines) + "\n").encode() + SEP
      + b"the thing and that, he said. <unk> 42")

# --- GLUE TSV: task byte (index into glue_task_names()), split byte, file ---
tasks = ["cola", "sst-2", "mrpc", "sts-b", "qqp", "mnli", "mnli-mm", "qnli", "rte", "wnli"]
def glue(task, split, text):
    write("glue_fuzz", task + "_" + str(split), bytes([tasks.index(task), split]) + text.encode())
glue("cola", 0, "gj04\t1\t\tOur friends won't buy this.\ngj04\t0\t*\tOne more and I'm out.\n")
glue("cola", 2, "index\tsentence\n0\tBill whistled.\n1\tThe car honked.\n")
glue("sst-2", 1, "sentence\tlabel\nit 's a charming journey . \t1\n")
glue("mrpc", 0, "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\t\"A\" b\tc d\n")
glue("sts-b", 1, "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
     "0\tmain\tf\t2012\t1\tnone\tnone\tA plane.\tAn air plane.\t5.000\n")
glue("qqp", 0, "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n0\t1\t2\tWhy?\tHow?\t0\r\n")
glue("mnli", 1, "index\tpromptID\tpairID\tgenre\ts1bp\ts2bp\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n"
     "0\t1\t2\tg\tx\tx\tx\tx\tThe cat.\tA cat.\tentailment\tentailment\n")
glue("qnli", 2, "index\tquestion\tsentence\n0\tWho?\tHim.\n")
glue("rte", 0, "index\tsentence1\tsentence2\tlabel\n0\tA b.\tC d.\tnot_entailment\n")

# --- .npy: magic, version, header length, header dict padded to 64 bytes, data ---
def npy(descr, shape, raw, version=1):
    shape_text = "(" + "".join(str(d) + ", " for d in shape).rstrip(" ") + ")" if len(shape) != 1 \
        else "(" + str(shape[0]) + ",)"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    length_size = 2 if version == 1 else 4
    header += " " * (-(10 + (length_size - 2) + len(header) + 1) % 64) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + raw


write("npy_fuzz", "f4.npy", npy("<f4", [2, 3], struct.pack("<6f", *range(6))))
write("npy_fuzz", "f8.npy", npy("<f8", [2], struct.pack("<2d", 1.5, -2)))
write("npy_fuzz", "i8_v2.npy", npy("<i8", [1, 1, 1], struct.pack("<q", 5), version=2))
write("npy_fuzz", "scalar.npy", npy("<f4", [], struct.pack("<f", 1)))
write("npy_fuzz", "empty.npy", npy("<f4", [0, 4], b""))

# --- sharded index: index JSON, then optionally the bytes of b.safetensors (see the target) ---
index = {"metadata": {"total_size": 60},
         "weight_map": {"w": "a.safetensors", "v": "a.safetensors", "u": "b.safetensors"}}
write("sharded_index_fuzz", "valid", json.dumps(index).encode())
write("sharded_index_fuzz", "with_shard", json.dumps(index).encode() + SEP
      + safetensors({"u": ("F32", [4], struct.pack("<4f", -2, -2, -2, -2))}))
write("sharded_index_fuzz", "escaping", json.dumps({"weight_map": {"w": "../a.safetensors"}}).encode())
write("sharded_index_fuzz", "sharded_fixture",
      read("fixtures", "bert_small", "model_sharded", "model.safetensors.index.json"))
