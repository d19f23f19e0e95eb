"""The Python side of bench/clip.ts: CLIP ViT-B/32 image embedding as a student's
PyTorch notebook does it (PIL decode, torchvision's CLIP preprocessing, eager model
under no_grad), driven one request at a time so the two sides interleave.

Reads JSON requests, one per line, on stdin; answers each with one JSON line:
  {"op": "images", "files": [...], "batch": B}   -> {"seconds": s}   end to end, JPEG files in
  {"op": "model", "n": N, "batch": B}            -> {"seconds": s}   the model alone on N images
  {"op": "embed", "files": [...], "out": F}      -> {}               F.npy: image_embeds, end to end
  {"op": "pixels", "npy": P, "out": F}           -> {}               F.npy: image_embeds of given pixels
  {"op": "threads", "n": T}                      -> {}               torch.set_num_threads(T)
  {"op": "sgemm"}                                -> {"gflops": g}    numpy float32 matmul peak
  {"op": "info"}                                 -> {"maxrss": bytes, "threads": t, "torch": version}
"""
import os
import resource
import time

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

from clip_model import build
from jsonlines import serve

MEAN, STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)
preprocess = transforms.Compose([
    transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
    transforms.CenterCrop(224),
    lambda im: im.convert("RGB"),
    transforms.ToTensor(),
    transforms.Normalize(MEAN, STD),
])
DEFAULT_THREADS = torch.get_num_threads()
# bench/clip.ts tries PyTorch's default and all cores, then runs it with the faster.
torch.set_num_threads(int(os.environ.get("LAB_TORCH_THREADS") or DEFAULT_THREADS))
vision = build("vision")


def embed_files(files, batch):
    out = []
    with torch.no_grad():
        for i in range(0, len(files), batch):
            pixels = torch.stack([preprocess(Image.open(f)) for f in files[i:i + batch]])
            out.append(vision(pixels))
    return torch.cat(out).numpy()


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def model_only(n, batch):
    pixels = torch.randn(batch, 3, 224, 224)
    with torch.no_grad():
        for _ in range(n // batch):
            vision(pixels)


def sgemm():
    a = np.random.rand(2048, 2048).astype(np.float32)
    a @ a
    best = min(timed(lambda: a @ a) for _ in range(5))
    return 2 * 2048 ** 3 / best / 1e9


def handle(req):
    op = req["op"]
    if op == "images":
        return {"seconds": timed(lambda: embed_files(req["files"], req["batch"]))}
    if op == "model":
        return {"seconds": timed(lambda: model_only(req["n"], req["batch"]))}
    if op == "embed":
        np.save(req["out"], embed_files(req["files"], 8))
        return {}
    if op == "pixels":
        with torch.no_grad():
            np.save(req["out"], vision(torch.from_numpy(np.load(req["npy"]))).numpy())
        return {}
    if op == "threads":
        torch.set_num_threads(req["n"])
        return {}
    if op == "sgemm":
        return {"gflops": sgemm()}
    if op == "info":
        return {"maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "threads": torch.get_num_threads(), "default_threads": DEFAULT_THREADS,
                "torch": torch.__version__}
    raise ValueError("unknown op %r" % op)


serve(handle)
