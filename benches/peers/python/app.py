"""`python app.py PORT`: the benchmark routes on Microdot (CPython, asyncio, one thread)."""
import sys

from microdot import Microdot

app = Microdot()


@app.get('/status')
async def status(request):
    return {'frames': 123, 'triggers': 4}


@app.get('/user/<name>')
async def user(request, name):
    return {'name': name, 'x': int(request.args.get('x', 0))}


@app.post('/echo')
async def echo(request):
    return {'id': request.json['id']}


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080)
