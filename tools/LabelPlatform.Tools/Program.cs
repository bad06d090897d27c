using System.CommandLine;
using LabelPlatform.Tools;

var root = new RootCommand("LabelPlatform tools: experiments and benchmarks that do not ship with the platform");
root.Subcommands.Add(HeadExperiments.Create());
root.Subcommands.Add(Int8Precision.Create());
root.Subcommands.Add(BenchMap.Create());
return await root.Parse(args).InvokeAsync();
