"""How gunicorn serves the product: the Dockerfile, `make run` and the benchmarks load it (-c python:erp.gunicorn_conf).

Sync workers, one request at a time each, as many as gunicorn's documentation suggests (2 x cores + 1; set
WEB_CONCURRENCY to change it). Threads would share a worker's interpreter lock, so one tenant's request would wait
behind its neighbours' in the same process: bench/noisy_neighbour.py measured tenant B's p95 1.5x higher beside
tenant A at its limit with 2 workers x 4 threads, about 1.0-1.1x with 3 sync workers.

Facing the internet, put a buffering proxy (nginx) in front, as gunicorn's documentation says for sync workers: a
slow client would otherwise hold a worker for as long as it takes to send its request.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
worker_class = "sync"
