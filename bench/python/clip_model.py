"""A full-size CLIP ViT-B/32 in plain PyTorch, with seeded random weights.

Same layer shapes and operations as openai/clip-vit-base-patch32 (as written in
Hugging Face's CLIPModel), so it costs what the real model costs; real weights
cannot be downloaded here. Also: ONNX export laid out like Xenova's hub folder,
and the dynamic 8-bit quantisation (MatMulInteger) that *_quantized.onnx files use.

  clip_model.py export DIR    writes DIR/onnx/{vision,text}_model[_quantized].onnx
"""
import sys

import torch
from torch import nn

VISION = dict(width=768, layers=12, heads=12, patch=32, image=224)
TEXT = dict(width=512, layers=12, heads=8, vocab=49408, context=77)
EMBED_DIM = 512


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)

    def forward(self, x, mask=None):
        b, t, w = x.shape
        h = self.heads

        def split(y):
            return y.reshape(b, t, h, w // h).transpose(1, 2)

        q = split(self.q_proj(x)) * (w // h) ** -0.5
        att = q @ split(self.k_proj(x)).transpose(-1, -2)
        if mask is not None:
            att = att + mask
        y = att.softmax(-1) @ split(self.v_proj(x))
        return self.out_proj(y.transpose(1, 2).reshape(b, t, w))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(width)
        self.self_attn = Attention(width, heads)
        self.layer_norm2 = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, 4 * width)
        self.act = QuickGELU()
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x, mask=None):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.fc2(self.act(self.fc1(self.layer_norm2(x))))


class Vision(nn.Module):
    """pixel_values (b, 3, 224, 224) -> image_embeds (b, 512)."""

    def __init__(self, width, layers, heads, patch, image):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * 0.02)
        self.position_embedding = nn.Parameter(torch.randn((image // patch) ** 2 + 1, width) * 0.02)
        self.pre_layrnorm = nn.LayerNorm(width)
        self.layers = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.post_layernorm = nn.LayerNorm(width)
        self.visual_projection = nn.Linear(width, EMBED_DIM, bias=False)

    def forward(self, pixel_values):
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.pre_layrnorm(torch.cat([cls, x], 1) + self.position_embedding)
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0]))


class Text(nn.Module):
    """input_ids, attention_mask (b, t) -> text_embeds (b, 512), pooled at the end-of-text token."""

    def __init__(self, width, layers, heads, vocab, context):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, width)
        self.position_embedding = nn.Parameter(torch.randn(context, width) * 0.01)
        self.layers = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(width)
        self.text_projection = nn.Linear(width, EMBED_DIM, bias=False)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding[:t]
        causal = torch.full((t, t), float("-inf")).triu(1)
        for layer in self.layers:
            x = layer(x, causal)
        x = self.final_layer_norm(x)
        # The end-of-text token is the last real one (padding comes after it).
        last = attention_mask.sum(1) - 1
        return self.text_projection(x[torch.arange(x.shape[0]), last])


def build(tower):
    """The vision or text tower, each from its own seed: the same weights on every run."""
    torch.manual_seed({"vision": 0, "text": 1}[tower])
    m = Vision(**VISION) if tower == "vision" else Text(**TEXT)
    for p in m.modules():
        if isinstance(p, nn.Linear):
            nn.init.normal_(p.weight, std=0.02)
    return m.eval()


def vision_macs():
    """Multiply-adds per image (one FLOP pair each): convolution + 12 blocks + projection."""
    w, L, tokens = VISION["width"], VISION["layers"], (VISION["image"] // VISION["patch"]) ** 2 + 1
    patch = (tokens - 1) * 3 * VISION["patch"] ** 2 * w
    block = tokens * (4 * w * w + 2 * w * 4 * w) + 2 * tokens * tokens * w
    return patch + L * block + w * EMBED_DIM


def export(folder):
    import os
    vision, text = build("vision"), build("text")
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    opset = 17 if 17 <= torch.onnx._constants.ONNX_MAX_OPSET else 14
    with torch.no_grad():
        v = os.path.join(folder, "onnx", "vision_model.onnx")
        torch.onnx.export(vision, (torch.zeros(1, 3, 224, 224),), v, opset_version=opset,
                          input_names=["pixel_values"], output_names=["image_embeds"],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}})
        t = os.path.join(folder, "onnx", "text_model.onnx")
        ids = torch.ones(1, 8, dtype=torch.int64)
        torch.onnx.export(text, (ids, ids), t, opset_version=opset,
                          input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                          dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                        "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                        "text_embeds": {0: "batch_size"}})
    for name in ("vision_model", "text_model"):
        quantize_dynamic(os.path.join(folder, "onnx", name + ".onnx"),
                         os.path.join(folder, "onnx", name + "_quantized.onnx"))


def quantize_dynamic(src, dst):
    """Every MatMul by a constant matrix becomes int8: weights per column (symmetric),
    activations per call (DynamicQuantizeLinear), which ONNX Runtime fuses into
    DynamicQuantizeMatMul. The same scheme as onnxruntime's quantize_dynamic."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    model = onnx.load(src)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    nodes, quantized_inputs, n = [], {}, 0
    for node in g.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        n += 1
        a = node.input[0]
        if a not in quantized_inputs:
            quantized_inputs[a] = (a + "_q", a + "_scale", a + "_zero")
            nodes.append(helper.make_node("DynamicQuantizeLinear", [a], list(quantized_inputs[a])))
        aq, ascale, azero = quantized_inputs[a]
        W = numpy_helper.to_array(w).astype(np.float32)
        scale = np.maximum(np.abs(W).max(0), 1e-12) / 127
        q = np.clip(np.round(W / scale), -127, 127).astype(np.int8)
        base = node.output[0]
        g.initializer.extend([
            numpy_helper.from_array(q, w.name + "_q"),
            numpy_helper.from_array(np.zeros(W.shape[1], np.int8), w.name + "_zero"),
            numpy_helper.from_array(scale.astype(np.float32), w.name + "_scale"),
        ])
        nodes += [
            helper.make_node("MatMulInteger", [aq, w.name + "_q", azero, w.name + "_zero"], [base + "_int"]),
            helper.make_node("Cast", [base + "_int"], [base + "_cast"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [ascale, w.name + "_scale"], [base + "_scales"]),
            helper.make_node("Mul", [base + "_cast", base + "_scales"], [base]),
        ]
    used = {i for nd in nodes for i in nd.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return n


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "export":
        sys.exit(__doc__)
    export(sys.argv[2])
    print("GMAC per image: %.2f" % (vision_macs() / 1e9))
