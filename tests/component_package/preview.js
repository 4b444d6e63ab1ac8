// Type-checks a TypeScript program against an SDK generated from the package schema, then runs it
// under the Node SDK's mocks with every dataplatform component constructed by the Python provider
// (bridge.py). Prints one JSON document: the program's exports, every registration, every construct.
// usage: node preview.js <program.ts> <sdk.ts> <workdir> <python> <stack-outputs.json> [check|run|both]
// (check: type-check only; run: transpile without the type check, then preview; both: the default)
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const { spawn } = require("child_process");
const ts = require("typescript");

const [program, sdk, workdir, python, stackOutputsFile, mode = "both"] = process.argv.slice(2);
const here = __dirname;

function compile() {
    const options = {
        strict: true,
        target: ts.ScriptTarget.ES2020,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        skipLibCheck: true,
        types: [],
        baseUrl: "/",
        paths: {
            "@pulumi/dataplatform": [sdk],
            "@pulumi/pulumi": [path.join(here, "node_modules/@pulumi/pulumi")],
        },
    };
    const out = {};
    if (mode === "run") {
        for (const file of [program, sdk]) {
            out[file] = ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions: options }).outputText;
        }
        return write(out);
    }
    const built = ts.createProgram([program, sdk], options);
    const diagnostics = ts.getPreEmitDiagnostics(built);
    if (diagnostics.length) {
        const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => workdir, getNewLine: () => "\n" };
        process.stderr.write(ts.formatDiagnostics(diagnostics, host));
        process.exit(2);
    }
    if (mode === "check") process.exit(0);
    built.emit(undefined, (fileName, text, _bom, _onError, sources) => {
        if (fileName.endsWith(".js")) out[sources[0].fileName] = text;
    });
    return write(out);
}

function write(out) {
    const sdkDir = path.join(workdir, "node_modules/@pulumi/dataplatform");
    fs.mkdirSync(sdkDir, { recursive: true });
    fs.writeFileSync(path.join(sdkDir, "index.js"), out[sdk]);
    fs.mkdirSync(path.join(workdir, "node_modules/@pulumi"), { recursive: true });
    const link = path.join(workdir, "node_modules/@pulumi/pulumi");
    if (!fs.existsSync(link)) fs.symlinkSync(path.join(here, "node_modules/@pulumi/pulumi"), link, "dir");
    const main = path.join(workdir, "index.js");
    fs.writeFileSync(main, out[program]);
    return main;
}

function bridge() {
    const child = spawn(python, [path.join(here, "bridge.py")], { stdio: ["pipe", "pipe", "inherit"] });
    const waiting = [];
    readline.createInterface({ input: child.stdout }).on("line", (line) => waiting.shift()(JSON.parse(line)));
    return {
        request: (body) =>
            new Promise((resolve) => {
                waiting.push(resolve);
                child.stdin.write(JSON.stringify(body) + "\n");
            }),
        close: () => child.stdin.end(),
    };
}

async function main() {
    const compiled = compile();
    const pulumi = require(path.join(here, "node_modules/@pulumi/pulumi"));
    const stackOutputs = JSON.parse(fs.readFileSync(stackOutputsFile, "utf8"));
    const provider = bridge();
    const registered = [];
    const constructed = [];
    await pulumi.runtime.setMocks(
        {
            newResource: async (args) => {
                registered.push({ type: args.type, name: args.name });
                if (args.type.startsWith("dataplatform:index:")) {
                    const answer = await provider.request({ type: args.type, name: args.name, inputs: args.inputs });
                    if (answer.error) throw new Error(`${args.type} ${args.name}: ${answer.error}`);
                    constructed.push({ type: args.type, name: args.name, inputs: args.inputs, children: answer.children });
                    return { id: undefined, state: answer.state };
                }
                if (args.type === "pulumi:pulumi:StackReference") {
                    const outputs = stackOutputs[args.inputs.name];
                    if (!outputs) throw new Error(`no outputs for stack ${args.inputs.name}`);
                    return { id: args.inputs.name, state: { name: args.inputs.name, outputs, secretOutputNames: [] } };
                }
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: () => ({}),
        },
        "team-analytics-ts",
        "dev",
        false,
    );
    const exported = require(compiled);
    const outputs = {};
    for (const [key, value] of Object.entries(exported)) {
        outputs[key] = await new Promise((resolve) => pulumi.output(value).apply(resolve));
    }
    provider.close();
    process.stdout.write(JSON.stringify({ outputs, registered, constructed }));
}

main().catch((error) => {
    process.stderr.write(`${error && error.message ? error.message : error}\n`);
    process.exit(1);
});
