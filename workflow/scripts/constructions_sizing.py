"""Rule `constructions_sizing`: the exact constructions sized per (T, z, ε) and the hashed lanes verified."""
import json
import logging
import time

from cisim import files
from cisim.jobs import constructions

logging.basicConfig(filename=snakemake.log[0], filemode="w", level=logging.INFO, format="%(asctime)s %(message)s")
conf = json.loads(snakemake.params.constructions)
start = time.perf_counter()
verification = constructions.verification(conf)
logging.info("verification: %d rows in %.1f s", len(verification), time.perf_counter() - start)
sizing = constructions.sizing(conf)
logging.info("sizing: %d rows in %.1f s", len(sizing), time.perf_counter() - start)
files.write_bytes(snakemake.output.verification, verification.to_csv(index=False, float_format="%.8g").encode())
files.write_bytes(snakemake.output.sizing, sizing.to_csv(index=False, float_format="%.8g").encode())
