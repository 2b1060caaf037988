"""A loopback HTTP/1.1 server whose every response takes 200 ms, for the libcurl hook tests.

Usage: slow_http_server.py PORT [DELAY_SECONDS]. Keep-alive is honoured. It stops by itself after
ten minutes, so a test run that dies never leaves it behind for long.
"""
import asyncio
import sys

BODY = b"hello from the slow server\n"


async def serve(reader, writer, delay):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head:
                break
            await asyncio.sleep(delay)
            close = b"connection: close" in head.lower()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n%s"
                         % (len(BODY), b"Connection: close\r\n" if close else b"", BODY))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1])
    delay = float(sys.argv[2]) if len(sys.argv) > 2 else 0.2
    server = await asyncio.start_server(lambda r, w: serve(r, w, delay), "127.0.0.1", port, backlog=1024)
    async with server:
        await asyncio.sleep(600)


asyncio.run(main())
