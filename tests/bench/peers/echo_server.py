"""The Python peers of the echo benchmark: uvloop and gevent (tests/bench/echo/run_echo.py runs them).

usage: echo_server.py uvloop|gevent

uvloop: an asyncio Protocol whose data_received writes the bytes straight back: the fast way to echo
on asyncio, with no stream reader/writer objects in between. gevent: a StreamServer whose handler
loops recv(64 KiB) / sendall, a greenlet per connection. Both single-threaded, both with TCP_NODELAY
(asyncio and uvloop set it on every TCP transport; gevent's handler sets it).

Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Runs until
killed.
"""
import socket
import sys

BUFFER_SIZE = 64 * 1024


def announce(port: int) -> None:
    print(f"port={port}", flush=True)


def serve_uvloop() -> None:
    import asyncio

    import uvloop

    class Echo(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.transport.write(data)

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=1024)
        announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    uvloop.install()
    asyncio.run(main())


def serve_gevent() -> None:
    from gevent.server import StreamServer

    def echo(connection, _address):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = connection.recv(BUFFER_SIZE)
            if not data:
                break
            connection.sendall(data)
        connection.close()

    server = StreamServer(("127.0.0.1", 0), echo, backlog=1024)
    server.start()
    announce(server.server_port)
    server.serve_forever()


if __name__ == "__main__":
    servers = {"uvloop": serve_uvloop, "gevent": serve_gevent}
    if len(sys.argv) != 2 or sys.argv[1] not in servers:
        sys.exit(__doc__)
    servers[sys.argv[1]]()
