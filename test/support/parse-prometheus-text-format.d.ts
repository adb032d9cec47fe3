// parse-prometheus-text-format ships no types: the one function its tests use.
declare module "parse-prometheus-text-format" {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
