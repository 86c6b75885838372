// A Node.js service for the live-check tests: the OpenTelemetry JS SDK and its OTLP/HTTP
// exporters send the spans, metrics and logs that tests/live/otlp_app.py's `emit` sends, so
// that live-check's verdict on them is the Python app's.
//
//   node app.mjs json http://HOST:PORT SPANS        OTLP/HTTP JSON, uncompressed
//   node app.mjs protobuf http://HOST:PORT SPANS    OTLP/HTTP protobuf, gzip
//   node app.mjs grpc http://HOST:PORT SPANS        OTLP/gRPC (grpc-js), gzip
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import * as traceHttp from '@opentelemetry/exporter-trace-otlp-http';
import * as traceProto from '@opentelemetry/exporter-trace-otlp-proto';
import * as metricHttp from '@opentelemetry/exporter-metrics-otlp-http';
import * as metricProto from '@opentelemetry/exporter-metrics-otlp-proto';
import * as logHttp from '@opentelemetry/exporter-logs-otlp-http';
import * as logProto from '@opentelemetry/exporter-logs-otlp-proto';
import * as traceGrpc from '@opentelemetry/exporter-trace-otlp-grpc';
import * as metricGrpc from '@opentelemetry/exporter-metrics-otlp-grpc';
import * as logGrpc from '@opentelemetry/exporter-logs-otlp-grpc';

const [encoding, base, spanCount] = process.argv.slice(2);
const [traces, meters, loggers] = {
  json: [traceHttp, metricHttp, logHttp],
  protobuf: [traceProto, metricProto, logProto],
  grpc: [traceGrpc, metricGrpc, logGrpc],
}[encoding];
const options = (path) => encoding === 'grpc'
  ? { url: base, compression: 'gzip' }
  : { url: `${base}${path}`, compression: encoding === 'protobuf' ? 'gzip' : 'none' };
const spans = new traces.OTLPTraceExporter(options('/v1/traces'));
const metrics = new meters.OTLPMetricExporter(options('/v1/metrics'));
const logs = new loggers.OTLPLogExporter(options('/v1/logs'));

const resource = resourceFromAttributes({ 'service.name': 'checkout-api-node' });
const tracerProvider = new TracerProvider({
  resource, spanProcessors: [new BatchSpanProcessor({ exporter: spans })] });
const meterProvider = new MeterProvider({
  resource,
  readers: [new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 600000 })],
});
const loggerProvider = new LoggerProvider({
  resource, processors: [new BatchLogRecordProcessor({ exporter: logs })] });

const tracer = tracerProvider.getTracer('shop');
for (let n = 0; n < Number(spanCount); n++) {
  const span = tracer.startSpan('checkout');
  span.setAttribute('http.request.method', 'POST');
  span.setAttribute('http.method', 'POST');                        // deprecated: TC803
  span.setAttribute('shop.cart.items', '3');                       // wrong type: TC804
  span.setAttribute('shop.payment.method', 'bitcoin');             // not a member: TC805
  span.setAttribute('shop.customer.email', 'jane@example.com');    // pii: TC806
  span.setAttribute('shop.debug.blob', 'x'.repeat(10));            // unknown: TC802
  span.end();
}
const meter = meterProvider.getMeter('shop');
meter.createHistogram('shop.checkout.duration', { unit: 'ms' })   // unit: TC809
  .record(420, { 'shop.payment.method': 'card' });
const orders = meter.createCounter('shop.orders.placed', { unit: '{order}' });
orders.add(1, { 'shop.payment.method': 'card', 'shop.region': 'eu' });
orders.add(1, { 'shop.region': 'eu' });                          // missing required: TC810
meter.createCounter('shop.queue.length', { unit: '{order}' }).add(1);  // instrument: TC808
meter.createCounter('shop.orders.v2', { unit: '{order}' }).add(1);     // unknown: TC801
loggerProvider.getLogger('shop.app').emit({
  severityText: 'WARN', body: 'payment declined',
  attributes: { 'shop.cart.items': 2, 'shop.tenant': 'acme' },   // unknown: TC802
});
await tracerProvider.shutdown();
await meterProvider.shutdown();
await loggerProvider.shutdown();
