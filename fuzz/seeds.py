#!/usr/bin/env python3
"""Seeds the fuzz corpora from the real device's captures in tests/vectors/:
CoAP datagrams, the decrypted ownership conversation (each request body for
the resource it was sent to), the cloud conversation (TCP frames and each
body for its resource). Writes fuzz/corpus/<target>/seed-*; idempotent.
Usage: fuzz/seeds.py   (from anywhere; python3 only)"""
import hashlib, json, os, re, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
vectors = os.path.join(root, "tests", "vectors")
corpus = os.path.join(root, "fuzz", "corpus")

def put(target, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)

def coap_udp(message):
    """(uri path, payload) of a CoAP-over-UDP message (RFC 7252 §3)."""
    tkl = message[0] & 0x0F
    i, number, path = 4 + tkl, 0, []
    while i < len(message) and message[i] != 0xFF:
        delta, length = message[i] >> 4, message[i] & 0x0F
        i += 1
        def ext(v):
            nonlocal i
            if v == 13:
                v = message[i] + 13; i += 1
            elif v == 14:
                v = (message[i] << 8 | message[i + 1]) + 269; i += 2
            return v
        delta, length = ext(delta), ext(length)
        number += delta
        if number == 11:
            path.append(message[i:i + length].decode("latin-1"))
        i += length
    payload = message[i + 1:] if i < len(message) else b""
    return "/" + "/".join(path), payload

DEVICE_HREFS = ["/oic/sec/doxm", "/oic/sec/pstat", "/oic/sec/cred", "/oic/sec/acl2",
                "/CoapCloudConfResURI", "/oic/sec/sdi", "/oic/sec/csr", "/oic/d", "/oic/res"]
CLOUD_HREFS = ["/oic/sec/account", "/oic/sec/session", "/oic/sec/tokenrefresh", "/oic/rd"]

# Unsecured CoAP exchanges: datagrams both ways, and the payloads answered.
folder = os.path.join(vectors, "coap-unsecured")
for name in sorted(os.listdir(folder)):
    capture = json.load(open(os.path.join(folder, name)))
    for round_ in capture.get("rounds", []):
        put("coap_message", bytes.fromhex(round_["request_hex"]))
        for response in round_.get("responses_hex", []):
            datagram = bytes.fromhex(response)
            put("coap_message", datagram)
            put("coap_peers", datagram)
    payload = capture.get("reassembled_payload_hex")
    if payload:
        put("ocf_resources", bytes.fromhex(payload))

# The ownership conversation, decrypted: each CoAP message, each body, and
# each request body for the resource it went to, from each kind of peer.
text = open(os.path.join(vectors, "jw-ownership-decrypted.txt")).read()
for hex_ in re.findall(r"plaintext ([0-9a-f]+)", text):
    data = bytes.fromhex(hex_)
    if len(data) < 4 or data[0] >> 6 != 1:
        continue
    put("coap_message", data)
    path, payload = coap_udp(data)
    if payload:
        put("ocf_resources", payload)
        if path in DEVICE_HREFS:
            index = DEVICE_HREFS.index(path)
            for peer in (0x00, 0x40, 0x80, 0xC0):
                put("device_requests", bytes([peer | index, 0]) + payload)

# The cloud conversation: TCP frames and sign-up/sign-in/refresh/publication bodies.
events = json.load(open(os.path.join(vectors, "cloud", "registration-iotivity-lite.json")))
stream = b""
for event in events:
    if "hex" not in event:
        continue
    frame = bytes.fromhex(event["hex"])
    stream += frame
    put("coap_tcp_stream", frame)
    decoded = event["decoded"]
    body = frame[frame.index(0xFF) + 1:] if 0xFF in frame else b""
    for index, href in enumerate(CLOUD_HREFS):
        if decoded.split(" ")[1].split("?")[0] == href and body:
            put("cloud_requests", bytes([index, 0]) + body)
            put("cloud_requests", bytes([0xC0 | index, 0]) + body)
            put("ocf_resources", body)
put("coap_tcp_stream", stream)

# Batch files: the forms provision --batch reads (docs in README/man page).
for sample in [
    '{"device": "8b6b6fd0-3a38-4c2b-9d4f-2a2bb3b0d0c1", "otm": "rdp", "pin_file": "pins/a"}\n',
    '{"device": "127.0.0.1:5683"}\n{"device": "lamp-1", "profile": "hub"}\n',
    "device,otm,pin_file,pin_env,profile\n127.0.0.1:5683,jw,,,\nlamp-2,rdp,pins/b,,hub\n",
    "# comment\n\n[fe80::1%eth0]:5683\n",
]:
    put("batch_file", sample.encode())
print("seeded", corpus, file=sys.stderr)
