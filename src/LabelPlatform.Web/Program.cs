using LabelPlatform.Core;
using LabelPlatform.Core.Settings;
using LabelPlatform.Web.Cli;
using LabelPlatform.Web.Hosting;

// `LabelPlatform.Web import ...` and friends run the same services headless, without a web server.
if (PlatformCli.IsCliInvocation(args))
{
    return await PlatformCli.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    ContentRootPath = ContentRoot.Locate(),
});
builder.AddPlatform();

var app = builder.Build();
if (!StartupSettings.Check(app.Services, Console.Error))
{
    return StartupSettings.InvalidExitCode;
}

await app.InitializePlatformAsync();
app.UsePlatform();
FirstStartBanner.PrintWhenStarted(app);
await app.RunAsync();
return 0;

/// <summary>Entry point marker for WebApplicationFactory in tests.</summary>
public partial class Program;
