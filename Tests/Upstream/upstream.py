#!/usr/bin/env python3
"""A stand-in for a real LLM API, for Tests/UpstreamTests: one plain HTTP and one HTTPS server in
one process (Python standard library only), whose endpoints misbehave on purpose.

    upstream.py DIR [RELAY]
                      writes a test CA, a second CA that signed nothing here, and a server
                      certificate for 127.0.0.1/localhost into DIR with the openssl command
                      (without one, with Python's cryptography package if it is installed),
                      serves, and prints "PORTS <plain> <tls>" once both listen.

With RELAY (http://127.0.0.1:PORT, a plain mockllm serving a script), every other path is an
LLM API: the request is relayed there and its answer relayed back as it arrives (a stream chunk by
chunk), so the recording proxy's tests talk TLS to real OpenAI, Anthropic, Gemini and Ollama
wire formats. `x-upstream-fault` on such a request misbehaves on purpose: `500` answers an
OpenAI-shaped error, `cut` closes the connection after the stream's first two pieces, `slow-head:MS`
waits before answering, `slow-body:MS` waits after the first piece. Every relayed answer says
which credentials reached it in `x-upstream-saw-credentials` (header names, never values), and
the `accept-encoding` asked for in `x-upstream-saw-accept-encoding`.

A Bedrock request (`/model/...`) signed with SigV4 is checked as AWS checks it, against the
credentials in UPSTREAM_AWS_ACCESS_KEY_ID, UPSTREAM_AWS_SECRET_ACCESS_KEY, UPSTREAM_AWS_SESSION_TOKEN
(which must then be signed) and UPSTREAM_AWS_REGION, service `bedrock`: the canonical request
recomputed from what arrived (each path segment encoded twice, as for every service but S3), and
refused with Bedrock's 403 `InvalidSignatureException` naming the canonical request when the
signature differs. The answer says `x-upstream-sigv4: verified` (or `none` when not signed).

It exits when its standard input closes, so it never outlives the test process."""
import hashlib
import hmac
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

GATES = {}
GATES_LOCK = threading.Lock()


def gate(name):
    with GATES_LOCK:
        return GATES.setdefault(name, threading.Event())


def make_certificates_with_cryptography(directory):
    """The same files, made with the cryptography package: only when there is no openssl command."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def write(name, key, cert):
        with open(os.path.join(directory, f"{name}.key"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(os.path.join(directory, f"{name}.pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    def certificate(subject, issuer, key, signer, extensions):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2)))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signer, hashes.SHA256())

    cas = {}
    for ca in ("ca", "other-ca"):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"mockllm {ca} for tests")])
        cert = certificate(name, name, key, key, [(x509.BasicConstraints(ca=True, path_length=None), True)])
        write(ca, key, cert)
        cas[ca] = (key, name)
    key = ec.generate_private_key(ec.SECP256R1())
    ca_key, ca_name = cas["ca"]
    cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), ca_name, key, ca_key, [
        (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
    ])
    write("server", key, cert)


def make_certificates(directory):
    openssl = shutil.which("openssl")
    if openssl is None:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            sys.exit("upstream.py: the test certificates need the openssl command (or Python's cryptography package)")
        return make_certificates_with_cryptography(directory)

    def run(*args):
        subprocess.run([openssl, *args], check=True, cwd=directory, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other-ca"):
        run("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2",
            "-subj", f"/CN=mockllm {ca} for tests")
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "server.ext"), "w") as ext:
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                  "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext")


def sigv4_problem(method, target, headers, body):
    """Why a SigV4-signed request would be refused (None: it would not). An implementation of
    https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html of its own,
    standard library only."""
    expected_key = os.environ.get("UPSTREAM_AWS_ACCESS_KEY_ID", "")
    secret = os.environ.get("UPSTREAM_AWS_SECRET_ACCESS_KEY", "")
    token = os.environ.get("UPSTREAM_AWS_SESSION_TOKEN", "")
    region = os.environ.get("UPSTREAM_AWS_REGION", "")
    fields = dict(part.strip().split("=", 1) for part in headers["Authorization"][len("AWS4-HMAC-SHA256 "):].split(","))
    key, day, scope_region, service, terminal = fields["Credential"].split("/")
    signed = fields["SignedHeaders"].split(";")
    date = headers.get("X-Amz-Date", "")
    if not expected_key or key != expected_key:
        return f"The security token included in the request is invalid (key {key})."
    if (scope_region, service, terminal) != (region, "bedrock", "aws4_request") or not date.startswith(day):
        return f"Credential should be scoped to a valid region and service: {fields['Credential']}, x-amz-date {date}"
    for required in ["host", "x-amz-date"] + (["x-amz-security-token"] if token else []):
        if required not in signed:
            return f"'{required}' must be a signed header; signed: {signed}"
    if token and headers.get("X-Amz-Security-Token") != token:
        return "The security token included in the request is invalid."
    url = urlsplit(target)
    pairs = sorted((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~"))
                   for k, _, v in (p.partition("=") for p in url.query.split("&") if p))
    canonical = "\n".join([
        method,
        quote(url.path or "/", safe="/~"),
        "&".join(f"{k}={v}" for k, v in pairs),
        "".join(f"{name}:{','.join(' '.join(v.split()) for v in headers.get_all(name, []))}\n" for name in signed),
        ";".join(signed),
        hashlib.sha256(body).hexdigest(),
    ])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date, f"{day}/{region}/bedrock/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    signing = ("AWS4" + secret).encode()
    for part in (day, region, "bedrock", "aws4_request"):
        signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
    if hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest() != fields["Signature"]:
        return ("The request signature we calculated does not match the signature you provided. "
                f"The Canonical String for this request should have been\n'{canonical}'")
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def send(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def begin_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def cut(self):
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_CONNECT(self):
        """An HTTP proxy's tunnel: answers 200, then relays bytes both ways."""
        host, _, port = self.path.rpartition(":")
        try:
            target = socket.create_connection((host, int(port)))
        except OSError:
            return self.send(502, b"no tunnel")
        self.send_response(200, "Connection Established")
        self.send_header("X-Proxy", "tunnel")
        self.end_headers()
        self.wfile.flush()

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        other = threading.Thread(target=pump, args=(target, self.connection), daemon=True)
        other.start()
        pump(self.connection, target)
        other.join()
        self.close_connection = True

    def route(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        if path == "/hello":
            via = "absolute-form" if self.path.startswith("http://") else "origin-form"
            return self.send(200, f"hello over {scheme}".encode(),
                             [("X-Test", "one"), ("X-Multi", "a"), ("X-Multi", "b"), ("X-Request-Form", via)])
        if path == "/echo":
            seen = lambda name: self.headers.get(name, "none")
            return self.send(201, body, [
                ("X-Method", self.command),
                ("X-Got-Content-Type", seen("Content-Type")),
                ("X-Got-Accept", seen("Accept")),
                ("X-Got-Expect", seen("Expect")),
                ("X-Got-Custom", seen("X-Custom")),
                ("X-Got-Length", seen("Content-Length")),
            ])
        if path == "/status/500":
            return self.send(500, b'{"error":{"message":"upstream broke"}}', [("Content-Type", "application/json")])
        if path == "/continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            self.wfile.flush()
            return self.send(200, b"after interim", [("X-Final", "yes")])
        if path == "/sse":
            self.begin_stream()
            for i in range(1, 5):
                self.chunk(f"data: {i}\n\n".encode())
            released = gate(query["gate"]).wait(10)
            self.chunk(b"data: [DONE]\n\n" if released else b"data: never released\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if path == "/release":
            gate(query["gate"]).set()
            return self.send(200, b"released")
        if path == "/cut":
            self.begin_stream()
            self.chunk(b"data: 1\n\n")
            self.chunk(b"data: 2\n\n")
            return self.cut()
        if path == "/cut-length":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"0123456789")
            return self.cut()
        if path == "/slow-head":
            time.sleep(int(query["ms"]) / 1000)
            return self.send(200, b"late")
        if path == "/slow-body":
            self.begin_stream()
            self.chunk(b"data: first\n\n")
            time.sleep(int(query["ms"]) / 1000)
            self.chunk(b"data: late\n\n")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if path == "/long":
            self.begin_stream()
            try:
                for i in range(int(query.get("n", "500"))):
                    self.chunk(f"data: {i}\n\n".encode())
                    time.sleep(0.01)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.close_connection = True
            return
        if path.startswith("/n/"):
            time.sleep(0.02)
            return self.send(200, f"n={path[3:]}".encode())
        if RELAY is not None:
            return self.relay(body)
        return self.send(404, b"not found")

    def relay(self, body):
        fault = self.headers.get("x-upstream-fault", "")
        if fault == "500":
            return self.send(500, b'{"error":{"message":"upstream broke","type":"server_error","code":null}}',
                             [("Content-Type", "application/json"), ("X-Upstream", "fault")])
        if fault.startswith("slow-head:"):
            time.sleep(int(fault.split(":")[1]) / 1000)
        sigv4 = "none"
        if urlsplit(self.path).path.startswith("/model/") and self.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 "):
            problem = sigv4_problem(self.command, self.path, self.headers, body)
            if problem is not None:
                return self.send(403, json.dumps({"message": problem}).encode(), [
                    ("Content-Type", "application/json"),
                    ("x-amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")])
            sigv4 = "verified"
        host, port = RELAY
        connection = http.client.HTTPConnection(host, port, timeout=30)
        skip = {"host", "content-length", "connection", "transfer-encoding", "x-upstream-fault"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        credentials = [n for n in ("authorization", "x-api-key", "api-key", "x-goog-api-key") if self.headers.get(n)]
        if "key=" in (urlsplit(self.path).query or ""):
            credentials.append("key")
        self.send_response(answer.status)
        length = answer.getheader("Content-Length")
        for name, value in answer.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(name, value)
        self.send_header("X-Upstream-Saw-Credentials", ",".join(credentials) or "none")
        self.send_header("X-Upstream-Saw-Accept-Encoding", self.headers.get("Accept-Encoding", "none"))
        self.send_header("X-Upstream-SigV4", sigv4)
        if length is not None:
            data = answer.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        pieces = 0
        while data := answer.read1(65536):
            self.chunk(data)
            pieces += 1
            if fault == "cut" and pieces == 2:
                return self.cut()
            if fault.startswith("slow-body:") and pieces == 1:
                time.sleep(int(fault.split(":")[1]) / 1000)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    context = None

    def get_request(self):
        sock, address = self.socket.accept()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request, client_address):
        pass  # refused handshakes and cut connections are what the tests are about


RELAY = None


def main():
    global RELAY
    directory = sys.argv[1]
    if len(sys.argv) > 2:
        relay = urlsplit(sys.argv[2])
        RELAY = (relay.hostname, relay.port)
    make_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, "server.pem"), os.path.join(directory, "server.key"))
    plain = Server(("127.0.0.1", 0), Handler)
    tls = Server(("127.0.0.1", 0), Handler)
    tls.context = context
    for server in (plain, tls):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORTS {plain.server_address[1]} {tls.server_address[1]}", flush=True)
    sys.stdin.read()  # until the test process goes away
    os._exit(0)


if __name__ == "__main__":
    main()
