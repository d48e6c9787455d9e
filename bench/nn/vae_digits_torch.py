"""vae_digits_torch.py — training steps per second of the digits VAE in
PyTorch.

The same model, batch and optimiser as bench/nn/vae_digits.ppl: encoder
64 -> 128 (ReLU) -> mean and log-variance heads of 8, decoder 8 -> 128
(ReLU) -> 64 logits; loss = binary cross-entropy summed over pixels plus
the KL term, averaged over a batch of 64; Adam(lr=1e-3). One step is one
minibatch.

    python3 bench/nn/vae_digits_torch.py digits.csv [steps] [threads] \
        [float32|float64]
"""
import csv
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

path = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
dtype = torch.float64 if (len(sys.argv) > 4 and sys.argv[4] == "float64") \
    else torch.float32
torch.set_num_threads(threads)
torch.manual_seed(1)

with open(path) as f:
    rows = list(csv.reader(f))[1:]
x = torch.tensor([[float(v) / 16 for v in r[:64]] for r in rows], dtype=dtype)
n, batch, latent = x.shape[0], 64, 8


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(64, 128)
        self.mu = nn.Linear(128, latent)
        self.lv = nn.Linear(128, latent)
        self.dec1 = nn.Linear(latent, 128)
        self.dec2 = nn.Linear(128, 64)

    def forward(self, xb):
        h = F.relu(self.enc(xb))
        mu, lv = self.mu(h), self.lv(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        logits = self.dec2(F.relu(self.dec1(z)))
        rec = F.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
        kl = 0.5 * torch.sum(mu * mu + torch.exp(lv) - 1 - lv)
        return (rec + kl) / xb.shape[0]


model = VAE().to(dtype)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def step(i):
    idx = torch.randint(0, n, (batch,))
    opt.zero_grad()
    loss = model(x[idx])
    loss.backward()
    opt.step()


for i in range(200):  # warm up
    step(i)
t0 = time.perf_counter()
for i in range(steps):
    step(i)
dt = time.perf_counter() - t0
print(f"pytorch {torch.__version__} {str(dtype)[6:]} threads={threads}: "
      f"{steps / dt:.0f} steps/s")
