"""gan_ring_torch.py — training steps per second of the ring GAN in PyTorch.

The same networks, batch, losses and optimiser as bench/nn/gan_ring.ppl:
G 2 -> 64 -> 64 -> 2 (ReLU), D 2 -> 64 -> 64 -> 1 (LeakyReLU 0.2), batch
64, Adam(lr=1e-3, betas=(0.5, 0.999)), the non-saturating loss; one step
is one discriminator update and one generator update, as train_gan's.

    python3 bench/nn/gan_ring_torch.py [steps] [threads] [float32|float64]
"""
import math
import sys
import time

import torch
import torch.nn as nn

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
dtype = torch.float64 if (len(sys.argv) > 3 and sys.argv[3] == "float64") \
    else torch.float32
torch.set_num_threads(threads)
torch.manual_seed(1)

n, latent, batch = 2000, 2, 64
k = torch.randint(0, 8, (n,))
ang = 2 * math.pi * k.to(dtype) / 8
x = torch.stack([2 * torch.cos(ang), 2 * torch.sin(ang)], 1)
x = x + 0.05 * torch.randn(n, 2, dtype=dtype)

G = nn.Sequential(nn.Linear(latent, 64), nn.ReLU(), nn.Linear(64, 64),
                  nn.ReLU(), nn.Linear(64, 2)).to(dtype)
D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                  nn.LeakyReLU(0.2), nn.Linear(64, 1)).to(dtype)
opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
bce = nn.BCEWithLogitsLoss()
ones = torch.ones(batch, 1, dtype=dtype)
zeros = torch.zeros(batch, 1, dtype=dtype)


def step(i):
    idx = torch.randint(0, n, (batch,))
    real = x[idx]
    z = torch.randn(batch, latent, dtype=dtype)
    fake = G(z).detach()
    opt_d.zero_grad()
    loss_d = bce(D(real), ones) + bce(D(fake), zeros)
    loss_d.backward()
    opt_d.step()
    z = torch.randn(batch, latent, dtype=dtype)
    opt_g.zero_grad()
    loss_g = bce(D(G(z)), ones)
    loss_g.backward()
    opt_g.step()


for i in range(200):  # warm up
    step(i)
t0 = time.perf_counter()
for i in range(steps):
    step(i)
dt = time.perf_counter() - t0
print(f"pytorch {torch.__version__} {str(dtype)[6:]} threads={threads}: "
      f"{steps / dt:.0f} steps/s")
