using LabelPlatform.Core;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Settings;
using LabelPlatform.Jobs;

// A standalone job server: the same job classes as the web app, against the same database and Hangfire storage
// (configured by the shared appsettings.json and environment variables). Start several to spread work; set
// Hangfire__RunServer=false on the web app to leave all jobs to workers.
var contentRoot = ContentRoot.Locate();
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = contentRoot });
builder.Services.AddPlatformCore(builder.Configuration, contentRoot);
builder.Services.AddPlatformJobs(builder.Configuration, runServer: true);

using var host = builder.Build();
if (!StartupSettings.Check(host.Services, Console.Error))
{
    return StartupSettings.InvalidExitCode;
}

await DatabaseInitializer.InitializeAsync(host.Services);
await host.RunAsync();
return 0;
