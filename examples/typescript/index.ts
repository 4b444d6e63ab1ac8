// A team's lake and PostgreSQL database on the platform's network, from TypeScript. The components
// are the Python library's, served by the dataplatform component package (../../provider): the same
// settings keys as the platform's stack config, the same validation, the same secure defaults.
import * as pulumi from "@pulumi/pulumi";
import * as dataplatform from "@pulumi/dataplatform";

const config = new pulumi.Config();
const platform = new pulumi.StackReference(config.require("platformStack"));

const tags = {
    Environment: pulumi.getStack(),
    Project: "team-analytics",
    Owner: "analytics-team",
    CostCenter: "cc-4321",
    ManagedBy: "pulumi",
};

const lake = new dataplatform.DataLakeBucket("analytics-lake", {
    tags,
    settings: {
        layers: [{ name: "raw" }, { name: "curated" }, { name: "gold" }],
    },
});

const db = new dataplatform.Warehouse("analytics-db", {
    tags,
    settings: { engine: "postgres", database_name: "analytics" },
    vpcId: platform.requireOutput("vpcId") as pulumi.Output<string>,
    dataSubnetIds: platform.requireOutput("dataSubnetIds") as pulumi.Output<string[]>,
    allowedSecurityGroupIds: [platform.requireOutput("nodeSecurityGroupId") as pulumi.Output<string>],
});

export const lakeBucketNames = lake.bucketNames;
export const lakeKmsKeyArn = lake.kmsKeyArn;
export const databaseEndpoint = db.endpoint;
export const databasePort = db.port;
export const databaseSecretArn = db.masterSecretArn;
