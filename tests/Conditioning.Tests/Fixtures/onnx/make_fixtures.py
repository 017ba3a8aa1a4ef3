#!/usr/bin/env python3
"""Writes the tiny ONNX models the Onnx tests load (run from anywhere; outputs land beside this script).

Needs only the `onnx` and `numpy` Python packages (tested with onnx 1.12). The tests and the library never
run Python: the generated files are committed. Re-run after changing this script and commit the results.

Models (opset 17, IR version 8, so any ONNX Runtime >= 1.13 loads them):
  text_encoder_int32.onnx  input_ids int32[batch, sequence] -> last_hidden_state f32[batch, sequence, 2] = (id, 2*id),
                           pooler_output f32[batch, 2] = sum over the sequence, hidden_states.0/.1 (copies of
                           last_hidden_state) -- a stand-in for the diffusers/Olive CLIP export with int32 ids.
  text_encoder_int64.onnx  the same graph with input_ids int64 (the optimum export).
  unet_float16.onnx        sample f16[batch, 4], timestep f16[batch] -> out_sample f16[batch, 4] = 2*sample + timestep
                           (the Olive fp16-I/O UNet with a [B] timestep).
  unet_scalar_timestep.onnx sample f32[1, 4] (fixed dims), timestep int64 0-d -> out_sample f32[1, 4] = sample + timestep
                           (the optimum 0-d timestep, with the old int64 timestep type).
  bfloat16_io.onnx         x bf16[n] -> y bf16[n] = x, y_float f32[n] = float(x).
  external/model.onnx      x f32[batch, 4] -> y f32[batch, 3] = x @ W, with W (4x3, values 1..12) stored in
                           external/weights.pb as diffusers' legacy UNet export does.
  clip_layernorm.onnx      input_ids int64[batch, sequence] -> hidden_states.0 = E[ids] (E row i = (i, 2i, i*i, 1)),
                           hidden_states.1 = hidden_states.0 + 1, last_hidden_state = LayerNorm(hidden_states.1) with
                           scale (1, 2, 3, 4), bias (0.5, 0, -0.5, 1), epsilon 1e-5, pooler_output = last_hidden_state
                           at the argmax id: a CLIP-shaped export whose final LayerNorm the clip-skip code must find.
  clip_layernorm_external/model.onnx  the same with every initializer in model.onnx_data (external data).
  slow_loop.onnx           iterations int64 0-d -> count f32 0-d, state f32[128, 128]: a Loop that runs `iterations`
                           times state = tanh(state @ W) with W and the start state built in the graph (no weights on
                           disk), so a huge `iterations` runs for as long as a test needs to cancel it mid-run.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 17)]


def save(graph, name, **kwargs):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="conditioning-fixtures", ir_version=8)
    onnx.checker.check_model(model)
    path = os.path.join(HERE, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(model, path, **kwargs)
    print(f"wrote {name}")


def text_encoder(ids_type, name):
    nodes = [
        helper.make_node("Cast", ["input_ids"], ["ids_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ids_f", "axis2"], ["ids_3d"]),
        helper.make_node("Mul", ["ids_3d", "scale"], ["last_hidden_state"]),
        helper.make_node("ReduceSum", ["last_hidden_state", "axis1"], ["pooler_output"], keepdims=0),
        helper.make_node("Identity", ["last_hidden_state"], ["hidden_states.0"]),
        helper.make_node("Identity", ["last_hidden_state"], ["hidden_states.1"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32), "scale"),
    ]
    graph = helper.make_graph(
        nodes, "text_encoder",
        [helper.make_tensor_value_info("input_ids", ids_type, ["batch", "sequence"])],
        [
            helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", 2]),
            helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch", 2]),
            helper.make_tensor_value_info("hidden_states.0", TensorProto.FLOAT, ["batch", "sequence", 2]),
            helper.make_tensor_value_info("hidden_states.1", TensorProto.FLOAT, ["batch", "sequence", 2]),
        ],
        inits)
    save(graph, name)


def unet_float16():
    nodes = [
        helper.make_node("Mul", ["sample", "two"], ["doubled"]),
        helper.make_node("Unsqueeze", ["timestep", "axis1"], ["t_col"]),
        helper.make_node("Add", ["doubled", "t_col"], ["out_sample"]),
    ]
    inits = [
        numpy_helper.from_array(np.array(2.0, dtype=np.float16), "two"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
    ]
    graph = helper.make_graph(
        nodes, "unet_float16",
        [
            helper.make_tensor_value_info("sample", TensorProto.FLOAT16, ["batch", 4]),
            helper.make_tensor_value_info("timestep", TensorProto.FLOAT16, ["batch"]),
        ],
        [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT16, ["batch", 4])],
        inits)
    save(graph, "unet_float16.onnx")


def unet_scalar_timestep():
    nodes = [
        helper.make_node("Cast", ["timestep"], ["t_f"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["sample", "t_f"], ["out_sample"]),
    ]
    graph = helper.make_graph(
        nodes, "unet_scalar_timestep",
        [
            helper.make_tensor_value_info("sample", TensorProto.FLOAT, [1, 4]),
            helper.make_tensor_value_info("timestep", TensorProto.INT64, []),
        ],
        [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, [1, 4])])
    save(graph, "unet_scalar_timestep.onnx")


def bfloat16_io():
    nodes = [
        helper.make_node("Identity", ["x"], ["y"]),
        helper.make_node("Cast", ["x"], ["y_float"], to=TensorProto.FLOAT),
    ]
    graph = helper.make_graph(
        nodes, "bfloat16_io",
        [helper.make_tensor_value_info("x", TensorProto.BFLOAT16, ["n"])],
        [
            helper.make_tensor_value_info("y", TensorProto.BFLOAT16, ["n"]),
            helper.make_tensor_value_info("y_float", TensorProto.FLOAT, ["n"]),
        ])
    save(graph, "bfloat16_io.onnx")


def external_data():
    weights = numpy_helper.from_array(np.arange(1, 13, dtype=np.float32).reshape(4, 3), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "external_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [weights])
    # onnx appends to an existing external-data file, so start from none to keep re-runs byte-identical.
    stale = os.path.join(HERE, "external", "weights.pb")
    if os.path.exists(stale):
        os.remove(stale)
    save(graph, os.path.join("external", "model.onnx"),
         save_as_external_data=True, all_tensors_to_one_file=True, location="weights.pb", size_threshold=0)


def clip_layernorm(name, external):
    vocab = 16
    table = np.stack([np.array([i, 2 * i, i * i, 1], dtype=np.float32) for i in range(vocab)])
    inits = [
        numpy_helper.from_array(table, "text_model.embeddings.token_embedding.weight"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array([1, 2, 3, 4], dtype=np.float32), "text_model.final_layer_norm.weight"),
        numpy_helper.from_array(np.array([0.5, 0, -0.5, 1], dtype=np.float32), "text_model.final_layer_norm.bias"),
    ]
    nodes = [
        helper.make_node("Gather", ["text_model.embeddings.token_embedding.weight", "input_ids"], ["hidden_states.0"]),
        helper.make_node("Add", ["hidden_states.0", "one"], ["hidden_states.1"]),
        helper.make_node("LayerNormalization", ["hidden_states.1", "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias"],
                         ["ln_out"], axis=-1, epsilon=1e-5),
        helper.make_node("Identity", ["ln_out"], ["last_hidden_state"]),
        helper.make_node("ArgMax", ["input_ids"], ["eos"], axis=-1, keepdims=1),
        helper.make_node("Unsqueeze", ["eos", "axes2"], ["eos3"]),
        helper.make_node("Expand", ["eos3", "shape14"], ["eos_idx"]),
        helper.make_node("GatherElements", ["last_hidden_state", "eos_idx"], ["pooled3"], axis=1),
        helper.make_node("Squeeze", ["pooled3", "axes1"], ["pooler_output"]),
    ]
    # Shape constants are Constant nodes, not initializers, so they stay inline when the weights go external.
    constants = [
        helper.make_node("Constant", [], ["axes2"], value=numpy_helper.from_array(np.array([2], dtype=np.int64))),
        helper.make_node("Constant", [], ["axes1"], value=numpy_helper.from_array(np.array([1], dtype=np.int64))),
        helper.make_node("Constant", [], ["shape14"], value=numpy_helper.from_array(np.array([1, 1, 4], dtype=np.int64))),
    ]
    nodes = constants + nodes
    graph = helper.make_graph(
        nodes, "clip_layernorm",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", 4]),
         helper.make_tensor_value_info("pooler_output", TensorProto.FLOAT, ["batch", 4]),
         helper.make_tensor_value_info("hidden_states.0", TensorProto.FLOAT, ["batch", "sequence", 4]),
         helper.make_tensor_value_info("hidden_states.1", TensorProto.FLOAT, ["batch", "sequence", 4])],
        inits)
    if external:
        stale = os.path.join(HERE, os.path.dirname(name), "model.onnx_data")
        if os.path.exists(stale):
            os.remove(stale)
        save(graph, name, save_as_external_data=True, all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=0)
    else:
        save(graph, name)


def slow_loop():
    n = 128
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["state_in", "w"], ["product"]),
            helper.make_node("Tanh", ["product"], ["state_out"]),
            helper.make_node("Add", ["count_in", "one"], ["count_out"]),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("count_in", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("state_in", TensorProto.FLOAT, [n, n]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info("count_out", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("state_out", TensorProto.FLOAT, [n, n]),
        ],
        [numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")])
    nodes = [
        helper.make_node("ConstantOfShape", ["square"], ["w"],
                         value=numpy_helper.from_array(np.array([0.01], dtype=np.float32))),
        helper.make_node("ConstantOfShape", ["square"], ["state0"],
                         value=numpy_helper.from_array(np.array([0.5], dtype=np.float32))),
        helper.make_node("Loop", ["iterations", "true", "zero"] + ["state0"], ["count", "state"], body=body),
    ]
    inits = [
        numpy_helper.from_array(np.array([n, n], dtype=np.int64), "square"),
        numpy_helper.from_array(np.array(True), "true"),
        numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
    ]
    graph = helper.make_graph(
        nodes, "slow_loop",
        [helper.make_tensor_value_info("iterations", TensorProto.INT64, [])],
        [
            helper.make_tensor_value_info("count", TensorProto.FLOAT, []),
            helper.make_tensor_value_info("state", TensorProto.FLOAT, [n, n]),
        ],
        inits)
    save(graph, "slow_loop.onnx")


if __name__ == "__main__":
    text_encoder(TensorProto.INT32, "text_encoder_int32.onnx")
    text_encoder(TensorProto.INT64, "text_encoder_int64.onnx")
    unet_float16()
    unet_scalar_timestep()
    bfloat16_io()
    external_data()
    clip_layernorm("clip_layernorm.onnx", external=False)
    clip_layernorm(os.path.join("clip_layernorm_external", "model.onnx"), external=True)
    slow_loop()
