#!/usr/bin/env python3
"""Writes small randomly initialised text encoders with the real ONNX contracts, for testing how the SDXL, SD3 and
Flux conditioners assemble their outputs (no trained SDXL/SD3 exists here). Needs onnx + numpy only:

    /usr/bin/python3 tests/Conditioning.Tests/Fixtures/encoders/make_random_encoders.py

The vocabulary size matches models/tiny-clip/tokenizer (656 ids) and models/tiny-t5/tokenizer (241 ids), so those
tokenizers drive them. Widths differ on purpose (8, 12, 24) so a wrong concatenation order or axis shows.

  clip_l.onnx   input_ids int64[batch, sequence] -> hidden_states.0 = E[ids] + P[position], hidden_states.k = tanh(h·Wk + bk)
                (k = 1, 2), last_hidden_state = LayerNorm(hidden_states.2), pooler_output = last_hidden_state at the
                first EOS (argmax id), text_embeds = pooler_output · Wp (width 8 -> 6)   [CLIP-L, with and without projection]
  clip_g.onnx   the same with width 12, three layers, text_embeds width 10                  [OpenCLIP-G, WithProjection]
  t5.onnx       input_ids int64[batch, sequence] -> last_hidden_state = tanh(E[ids] · W), width 24 (wider than L ‖ G = 20, as 4096 > 2048)
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 17)]
CLIP_VOCAB, T5_VOCAB, POSITIONS = 656, 241, 77


def save(graph, name):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="conditioning-fixtures", ir_version=8)
    onnx.checker.check_model(model)
    onnx.save_model(model, os.path.join(HERE, name))
    print("wrote", name)


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array))


def clip(name, width, layers, projection, seed):
    rng = np.random.default_rng(seed)
    f32 = lambda *s: (rng.standard_normal(s) * 0.5).astype(np.float32)
    inits = [
        numpy_helper.from_array(f32(CLIP_VOCAB, width), "text_model.embeddings.token_embedding.weight"),
        numpy_helper.from_array(f32(POSITIONS, width), "text_model.embeddings.position_embedding.weight"),
        numpy_helper.from_array((1 + 0.1 * rng.standard_normal(width)).astype(np.float32), "text_model.final_layer_norm.weight"),
        numpy_helper.from_array((0.1 * rng.standard_normal(width)).astype(np.float32), "text_model.final_layer_norm.bias"),
        numpy_helper.from_array(f32(width, projection), "text_projection.weight"),
    ]
    nodes = [
        helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
        const("one_i", np.array([1], dtype=np.int64)),
        const("two_i", np.array([2], dtype=np.int64)),
        helper.make_node("Slice", ["ids_shape", "one_i", "two_i"], ["seq_len"]),
        const("zero_s", np.array(0, dtype=np.int64)),
        const("one_s", np.array(1, dtype=np.int64)),
        helper.make_node("Squeeze", ["seq_len"], ["seq_len_s"]),
        helper.make_node("Range", ["zero_s", "seq_len_s", "one_s"], ["positions"]),
        helper.make_node("Gather", ["text_model.embeddings.token_embedding.weight", "input_ids"], ["tok"]),
        helper.make_node("Gather", ["text_model.embeddings.position_embedding.weight", "positions"], ["pos"]),
        helper.make_node("Add", ["tok", "pos"], ["hidden_states.0"]),
    ]
    for k in range(1, layers + 1):
        inits += [numpy_helper.from_array(f32(width, width), f"layer{k}.weight"), numpy_helper.from_array(f32(width), f"layer{k}.bias")]
        nodes += [
            helper.make_node("MatMul", [f"hidden_states.{k - 1}", f"layer{k}.weight"], [f"mm{k}"]),
            helper.make_node("Add", [f"mm{k}", f"layer{k}.bias"], [f"pre{k}"]),
            helper.make_node("Tanh", [f"pre{k}"], [f"hidden_states.{k}"]),
        ]
    nodes += [
        helper.make_node("LayerNormalization", [f"hidden_states.{layers}", "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias"],
                         ["last_hidden_state"], axis=-1, epsilon=1e-5),
        helper.make_node("ArgMax", ["input_ids"], ["eos"], axis=-1, keepdims=1),
        const("axes2", np.array([2], dtype=np.int64)),
        helper.make_node("Unsqueeze", ["eos", "axes2"], ["eos3"]),
        const("shape1w", np.array([1, 1, width], dtype=np.int64)),
        helper.make_node("Expand", ["eos3", "shape1w"], ["eos_idx"]),
        helper.make_node("GatherElements", ["last_hidden_state", "eos_idx"], ["pooled3"], axis=1),
        const("axes1", np.array([1], dtype=np.int64)),
        helper.make_node("Squeeze", ["pooled3", "axes1"], ["pooler_output"]),
        helper.make_node("MatMul", ["pooler_output", "text_projection.weight"], ["text_embeds"]),
    ]
    outputs = [
        helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", width]),
        helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch", width]),
        helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", projection]),
    ] + [helper.make_tensor_value_info(f"hidden_states.{k}", TensorProto.FLOAT, ["batch", "sequence", width]) for k in range(layers + 1)]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])], outputs, inits)
    save(graph, name + ".onnx")


def t5(width, seed):
    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array((rng.standard_normal((T5_VOCAB, width)) * 0.5).astype(np.float32), "shared.weight"),
        numpy_helper.from_array((rng.standard_normal((width, width)) * 0.5).astype(np.float32), "proj.weight"),
    ]
    nodes = [
        helper.make_node("Gather", ["shared.weight", "input_ids"], ["emb"]),
        helper.make_node("MatMul", ["emb", "proj.weight"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["last_hidden_state"]),
    ]
    graph = helper.make_graph(nodes, "t5",
                              [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
                              [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", width])], inits)
    save(graph, "t5.onnx")


if __name__ == "__main__":
    clip("clip_l", width=8, layers=2, projection=6, seed=1)
    clip("clip_g", width=12, layers=3, projection=10, seed=2)
    t5(width=24, seed=3)
