using System.CommandLine;
using LabelPlatform.Tools;

var root = new RootCommand("LabelPlatform tools: experiments and benchmarks that do not ship with the platform");
root.Subcommands.Add(HeadExperiments.Create());
root.Subcommands.Add(Int8Precision.Create());
var bench = BenchMap.Create();
foreach (var command in BenchScoring.Create())
{
    bench.Subcommands.Add(command);
}

bench.Subcommands.Add(BenchServe.Create());
bench.Subcommands.Add(BenchAnn.Create());
bench.Subcommands.Add(BenchIndexLoad.Create());
bench.Subcommands.Add(BenchScale.Create());
root.Subcommands.Add(bench);
return await root.Parse(args).InvokeAsync();
