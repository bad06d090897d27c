using System.Text.Json;
using LabelPlatform.Core.Embeddings;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LabelPlatform.Web.Hosting;

/// <summary>
/// /health answers JSON: the overall status, then each check with its description and data, so a deployment can see
/// at a glance which path quantized models take on this machine and why.
/// </summary>
internal static class HealthReports
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            Status = report.Status.ToString(),
            Checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                Status = e.Value.Status.ToString(),
                e.Value.Description,
                Data = e.Value.Data.Count == 0 ? null : e.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }
}

/// <summary>The inference hardware: CPU, vector extensions and whether int8 models compute exactly here.</summary>
internal sealed class InferenceHealthCheck(InferenceHardware hardware) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cpu = InferenceHardware.Cpu;
        return Task.FromResult(HealthCheckResult.Healthy(hardware.Explanation, new Dictionary<string, object>
        {
            ["cpu"] = cpu.Model,
            ["architecture"] = cpu.Architecture,
            ["flags"] = cpu.Flags,
            ["int8_dot_products_exact"] = hardware.Int8Exact,
            ["quantized_models_run_on"] = hardware.PathFor(PathChoices.Auto),
        }));
    }
}
