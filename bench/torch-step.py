"""The seed authors' kind of training step in PyTorch, as a same-run baseline for bench/run.ts.

Same shapes as the bench's tfjs step (D=256, H=100, batch 512, the default diagonal encoder), the
entropy ELBO of math.md (Eq. 15 with Theorem 2's λ and σ²) and Adam. Prints one JSON line:
samples/s of the steady-state step, and of a training-only epoch over N rows (shuffled minibatches,
no whole-data evaluation, as the authors' code reports the mean of batch ELBOs).
usage: python3 bench/torch-step.py THREADS STEPS EPOCH_ROWS
"""
import json
import math
import sys
import time

import torch

threads, steps, epoch_rows = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(7)
D, H, B = 256, 100, 512
LOG_2PI_E = math.log(2 * math.pi * math.e)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.expand = torch.nn.Linear(2 * D, 3 * D)
        self.project = torch.nn.Linear(3 * D, 2 * D)

    def forward(self, h):
        return h + self.project(torch.relu(self.expand(torch.relu(h))))


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input = torch.nn.Linear(D, 2 * D)
        self.blocks = torch.nn.Sequential(Block(), Block())
        self.mean = torch.nn.Linear(2 * D, H)
        self.std = torch.nn.Linear(2 * D, H)

    def forward(self, x):
        h = self.blocks(self.input(x))
        return self.mean(h), torch.nn.functional.softplus(self.std(h)) + 1e-3


def elbo(x, w, mean, std):
    wn = w / w.norm(dim=0, keepdim=True)
    a = mean / std
    m = std * (math.sqrt(2 / math.pi) * torch.exp(-0.5 * a * a) + a * torch.erf(a / math.sqrt(2)))
    lam = m.mean(0)
    sq = (std * std * (wn * wn).sum(0)).sum(1) + ((mean @ wn.T - x) ** 2).sum(1)
    sigma2 = sq.mean() / D
    entropy_q = 0.5 * (H * LOG_2PI_E + (2 * torch.log(std)).sum(1).mean())
    return entropy_q - torch.log(2 * math.e * lam).sum() - 0.5 * D * torch.log(2 * math.pi * math.e * sigma2)


encoder = Encoder()
w = torch.nn.Parameter(torch.randn(D, H))
adam = torch.optim.Adam([*encoder.parameters(), w], lr=1e-3)


def step(x):
    adam.zero_grad()
    loss = -elbo(x, w, *encoder(x))
    loss.backward()
    adam.step()
    return loss.item()


x = 0.3 * torch.randn(B, D)
for _ in range(2):
    step(x)
started = time.perf_counter()
for _ in range(steps):
    step(x)
step_rate = B * steps / (time.perf_counter() - started)

data = 0.3 * torch.randn(epoch_rows, D)
started = time.perf_counter()
order = torch.randperm(epoch_rows)
for i in range(0, epoch_rows - B + 1, B):
    step(data[order[i : i + B]])
epoch_seconds = time.perf_counter() - started
print(json.dumps({"torch": torch.__version__, "threads": threads, "stepSamplesPerSecond": step_rate, "epochSeconds": epoch_seconds, "epochRows": epoch_rows}))
