#!/usr/bin/env python3
"""Writes two toy diffusers ONNX folders (toy-sd, toy-flux) for the pipeline mechanics tests: every component has the
real ONNX contract, but the networks are a few arithmetic nodes, so the tests check plumbing (names, dtypes, shapes,
packing, scaling, determinism), not image quality. Needs onnx + numpy:

    /usr/bin/python3 tests/Conditioning.Pipelines.Tests/Fixtures/make_toy_models.py

Text encoders and tokenizers are copied from tests/Conditioning.Tests/Fixtures/encoders and models/tiny-*/tokenizer.
  toy-sd/unet:         sample f32[B,4,8,8], timestep f32[B], encoder_hidden_states f32[B,S,8] -> out_sample =
                       0.1*sample + 0.01*mean(encoder_hidden_states) + 0*timestep
  toy-sd/vae_decoder:  latent_sample f32[B,4,h,w] -> sample f32[B,3,4h,4w] = tanh(nearest-upsampled channels 0..2)
  toy-flux/transformer: hidden_states f32[B,N,64], encoder_hidden_states f32[B,S,24], pooled_projections f32[B,8],
                       timestep f32[B], img_ids f32[N,3], txt_ids f32[S,3] -> out_hidden_states = 0.2*hidden_states +
                       0.01*(mean(encoder_hidden_states) + mean(pooled_projections)) + 0*(timestep, ids)
  toy-flux/vae_decoder: latent_sample f32[B,16,h,w] -> sample f32[B,3,4h,4w]
  toy-sd3/transformer: hidden_states f32[B,16,8,8], encoder_hidden_states f32[B,S,24], pooled_projections f32[B,16],
                       timestep f32[B] -> out_hidden_states = 0.2*hidden_states + 0.01*(mean(ehs) + mean(pooled)) + 0*timestep
"""
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OPSET = [helper.make_opsetid("", 17)]


def save(graph, path):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="conditioning-fixtures", ir_version=8)
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(model, path)


def const(name, value):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(value, dtype=np.float32)))


def mean_all(inp, out):
    return helper.make_node("ReduceMean", [inp], [out], keepdims=0)


def vae(path, channels):
    nodes = [
        helper.make_node("Constant", [], ["starts"], value=numpy_helper.from_array(np.array([0], dtype=np.int64))),
        helper.make_node("Constant", [], ["ends"], value=numpy_helper.from_array(np.array([3], dtype=np.int64))),
        helper.make_node("Constant", [], ["axes"], value=numpy_helper.from_array(np.array([1], dtype=np.int64))),
        helper.make_node("Slice", ["latent_sample", "starts", "ends", "axes"], ["rgb"]),
        helper.make_node("Constant", [], ["scales"], value=numpy_helper.from_array(np.array([1, 1, 4, 4], dtype=np.float32))),
        helper.make_node("Resize", ["rgb", "", "scales"], ["big"], mode="nearest"),
        helper.make_node("Tanh", ["big"], ["sample"]),
    ]
    graph = helper.make_graph(nodes, "vae_decoder",
                              [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", channels, "h", "w"])],
                              [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, "H", "W"])])
    save(graph, path)


def unet(path):
    nodes = [
        const("a", 0.1), const("b", 0.01), const("z", 0.0),
        helper.make_node("Mul", ["sample", "a"], ["s1"]),
        mean_all("encoder_hidden_states", "m"),
        helper.make_node("Mul", ["m", "b"], ["m1"]),
        mean_all("timestep", "tm"),
        helper.make_node("Mul", ["tm", "z"], ["t0"]),
        helper.make_node("Add", ["m1", "t0"], ["shift"]),
        helper.make_node("Add", ["s1", "shift"], ["out_sample"]),
    ]
    graph = helper.make_graph(nodes, "unet", [
        helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 4, 8, 8]),
        helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", "sequence", 8]),
    ], [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, ["batch", 4, 8, 8])])
    save(graph, path)


def transformer(path):
    nodes = [
        const("a", 0.2), const("b", 0.01), const("z", 0.0),
        helper.make_node("Mul", ["hidden_states", "a"], ["h1"]),
        mean_all("encoder_hidden_states", "me"), mean_all("pooled_projections", "mp"),
        helper.make_node("Add", ["me", "mp"], ["mm"]),
        helper.make_node("Mul", ["mm", "b"], ["m1"]),
        mean_all("timestep", "tm"), mean_all("img_ids", "im"), mean_all("txt_ids", "xm"),
        helper.make_node("Add", ["tm", "im"], ["u1"]),
        helper.make_node("Add", ["u1", "xm"], ["u2"]),
        helper.make_node("Mul", ["u2", "z"], ["u0"]),
        helper.make_node("Add", ["m1", "u0"], ["shift"]),
        helper.make_node("Add", ["h1", "shift"], ["out_hidden_states"]),
    ]
    graph = helper.make_graph(nodes, "transformer", [
        helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", "image_tokens", 64]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", "text_tokens", 24]),
        helper.make_tensor_value_info("pooled_projections", TensorProto.FLOAT, ["batch", 8]),
        helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
        helper.make_tensor_value_info("img_ids", TensorProto.FLOAT, ["image_tokens", 3]),
        helper.make_tensor_value_info("txt_ids", TensorProto.FLOAT, ["text_tokens", 3]),
    ], [helper.make_tensor_value_info("out_hidden_states", TensorProto.FLOAT, ["batch", "image_tokens", 64])])
    save(graph, path)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def copy_tree(src, dst):
    if os.path.exists(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


encoders = os.path.join(REPO, "tests", "Conditioning.Tests", "Fixtures", "encoders")

sd = os.path.join(HERE, "toy-sd")
write_json(os.path.join(sd, "model_index.json"), {"_class_name": "ORTStableDiffusionPipeline", "_diffusers_version": "0.31.0"})
os.makedirs(os.path.join(sd, "text_encoder"), exist_ok=True)
shutil.copy(os.path.join(encoders, "clip_l.onnx"), os.path.join(sd, "text_encoder", "model.onnx"))
copy_tree(os.path.join(REPO, "models", "tiny-clip", "tokenizer"), os.path.join(sd, "tokenizer"))
unet(os.path.join(sd, "unet", "model.onnx"))
vae(os.path.join(sd, "vae_decoder", "model.onnx"), 4)
write_json(os.path.join(sd, "vae_decoder", "config.json"), {"_class_name": "AutoencoderKL", "latent_channels": 4, "scaling_factor": 0.5, "block_out_channels": [8, 8, 8]})
write_json(os.path.join(sd, "scheduler", "scheduler_config.json"), {
    "_class_name": "EulerDiscreteScheduler", "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "steps_offset": 1, "timestep_spacing": "leading", "prediction_type": "epsilon"})

flux = os.path.join(HERE, "toy-flux")
write_json(os.path.join(flux, "model_index.json"), {"_class_name": "FluxPipeline", "_diffusers_version": "0.31.0"})
os.makedirs(os.path.join(flux, "text_encoder"), exist_ok=True)
os.makedirs(os.path.join(flux, "text_encoder_2"), exist_ok=True)
shutil.copy(os.path.join(encoders, "clip_l.onnx"), os.path.join(flux, "text_encoder", "model.onnx"))
shutil.copy(os.path.join(encoders, "t5.onnx"), os.path.join(flux, "text_encoder_2", "model.onnx"))
copy_tree(os.path.join(REPO, "models", "tiny-clip", "tokenizer"), os.path.join(flux, "tokenizer"))
copy_tree(os.path.join(REPO, "models", "tiny-t5", "tokenizer"), os.path.join(flux, "tokenizer_2"))
transformer(os.path.join(flux, "transformer", "model.onnx"))
vae(os.path.join(flux, "vae_decoder", "model.onnx"), 16)
write_json(os.path.join(flux, "vae_decoder", "config.json"), {"_class_name": "AutoencoderKL", "latent_channels": 16, "scaling_factor": 0.5, "shift_factor": 0.1, "block_out_channels": [8, 8, 8]})
write_json(os.path.join(flux, "scheduler", "scheduler_config.json"), {
    "_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0, "use_dynamic_shifting": True,
    "base_shift": 0.5, "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096})


def sd3_transformer(path):
    nodes = [
        const("a", 0.2), const("b", 0.01), const("z", 0.0),
        helper.make_node("Mul", ["hidden_states", "a"], ["h1"]),
        mean_all("encoder_hidden_states", "me"), mean_all("pooled_projections", "mp"),
        helper.make_node("Add", ["me", "mp"], ["mm"]),
        helper.make_node("Mul", ["mm", "b"], ["m1"]),
        mean_all("timestep", "tm"),
        helper.make_node("Mul", ["tm", "z"], ["t0"]),
        helper.make_node("Add", ["m1", "t0"], ["shift"]),
        helper.make_node("Add", ["h1", "shift"], ["out_hidden_states"]),
    ]
    graph = helper.make_graph(nodes, "transformer", [
        helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, ["batch", 16, 8, 8]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", "text_tokens", 24]),
        helper.make_tensor_value_info("pooled_projections", TensorProto.FLOAT, ["batch", 16]),
        helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
    ], [helper.make_tensor_value_info("out_hidden_states", TensorProto.FLOAT, ["batch", 16, 8, 8])])
    save(graph, path)


sd3 = os.path.join(HERE, "toy-sd3")
write_json(os.path.join(sd3, "model_index.json"), {"_class_name": "StableDiffusion3Pipeline", "_diffusers_version": "0.31.0"})
for folder, source in [("text_encoder", "clip_l.onnx"), ("text_encoder_2", "clip_g.onnx"), ("text_encoder_3", "t5.onnx")]:
    os.makedirs(os.path.join(sd3, folder), exist_ok=True)
    shutil.copy(os.path.join(encoders, source), os.path.join(sd3, folder, "model.onnx"))
copy_tree(os.path.join(REPO, "models", "tiny-clip", "tokenizer"), os.path.join(sd3, "tokenizer"))
copy_tree(os.path.join(REPO, "models", "tiny-clip", "tokenizer"), os.path.join(sd3, "tokenizer_2"))
with open(os.path.join(sd3, "tokenizer_2", "special_tokens_map.json")) as f:
    special = json.load(f)
special["pad_token"] = "!"  # OpenCLIP-G pads with "!" = id 0
write_json(os.path.join(sd3, "tokenizer_2", "special_tokens_map.json"), special)
copy_tree(os.path.join(REPO, "models", "tiny-t5", "tokenizer"), os.path.join(sd3, "tokenizer_3"))
sd3_transformer(os.path.join(sd3, "transformer", "model.onnx"))
vae(os.path.join(sd3, "vae_decoder", "model.onnx"), 16)
write_json(os.path.join(sd3, "vae_decoder", "config.json"), {"_class_name": "AutoencoderKL", "latent_channels": 16, "scaling_factor": 1.5305, "shift_factor": 0.0609, "block_out_channels": [8, 8, 8]})
write_json(os.path.join(sd3, "scheduler", "scheduler_config.json"), {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0})
print("wrote toy-sd, toy-flux and toy-sd3")
