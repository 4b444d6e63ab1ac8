// Validates Kubernetes custom resources against the published Karpenter and KEDA models
// (@kubernetes-models/*: validators generated from the projects' Go API types).
//
// stdin: a JSON array of documents [{apiVersion, kind, metadata, spec}, ...]
// stdout: a JSON array, one entry per document, in order:
//   {"index": i, "kind": "...", "errors": ["<path>: <message>", ...]}
// A document whose apiVersion/kind has no model gets the error "no model for <apiVersion>/<kind>".
// Exit code 0 when the input could be read (errors are reported in the output), 2 otherwise.
import { EC2NodeClass } from "@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass";
import { NodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool";
import { ScaledJob } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledJob";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";

const MODELS = new Map(
  [EC2NodeClass, NodePool, ScaledJob, ScaledObject, TriggerAuthentication].map((model) => [
    `${model.apiVersion}/${model.kind}`,
    model,
  ]),
);

function errorsOf(document) {
  const model = MODELS.get(`${document?.apiVersion}/${document?.kind}`);
  if (!model) return [`no model for ${document?.apiVersion}/${document?.kind}`];
  try {
    new model(document).validate();
    return [];
  } catch (error) {
    // ajv errors: {instancePath, message, params}; anything else is reported as is.
    const details = Array.isArray(error?.errors) ? error.errors : null;
    if (!details) return [String(error?.message ?? error)];
    return details.map((detail) => {
      const extra = detail.params?.allowedValues ? ` (${detail.params.allowedValues.join(", ")})` : "";
      return `${detail.instancePath || "/"}: ${detail.message}${extra}`;
    });
  }
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
let documents;
try {
  documents = JSON.parse(input);
  if (!Array.isArray(documents)) throw new Error("expected a JSON array of documents");
} catch (error) {
  process.stderr.write(`validate.mjs: ${error.message}\n`);
  process.exit(2);
}
const report = documents.map((document, index) => ({ index, kind: document?.kind, errors: errorsOf(document) }));
process.stdout.write(JSON.stringify(report));
