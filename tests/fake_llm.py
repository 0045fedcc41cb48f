"""A local stand-in for an OpenAI-compatible server (vLLM, Ollama): no network in tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FakeLLM"]


class FakeLLM:
    """A local server answering /v1/models and /v1/chat/completions like vLLM does."""

    def __init__(self, reply="You can pay by card [1]; refunds take five days [2] [9].",
                 status=200, delay=0.0):
        self.reply, self.status, self.delay, self.requests = reply, status, delay, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.requests.append(("GET", self.path, None, dict(self.headers)))
                self._send(200, {"data": [{"id": "qwen-local"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(("POST", self.path, body, dict(self.headers)))
                time.sleep(fake.delay)
                if fake.status != 200:
                    self._send(fake.status, {"error": "boom"})
                else:
                    self._send(200, {"choices": [{"message": {"role": "assistant",
                                                              "content": fake.reply}}]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
