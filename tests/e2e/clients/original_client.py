# A client written against the original design's gateway, kept as such: it posts the original
# request with its defaults and reads prediction, probability and is_fake. It sends no key of its
# own; requests takes one from ~/.netrc (or $NETRC) as Basic auth, which the gateway accepts.
import sys

import requests

url = sys.argv[1]
text = sys.argv[2]

response = requests.post(url + "/analyze", json={
    "text": text,
    "model_name": "Qwen/Qwen2.5-0.5B",
    "layer": 22,
    "classifier_type": "svm",
    "pooling": "mean",
    "dataset_name": "default",
})
response.raise_for_status()
result = response.json()

if result["prediction"] == 1:
    print("AI-generated", result["probability"], result["is_fake"])
else:
    print("Human-written", result["probability"], result["is_fake"])
