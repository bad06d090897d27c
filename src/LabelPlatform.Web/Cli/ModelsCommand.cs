using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LabelPlatform.Core.Embeddings;

namespace LabelPlatform.Web.Cli;

/// <summary>`models list` and `models register ...`: the embedding model registry from the command line.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?>? settings)
    {
        var models = new Command("models", "List and register embedding models");

        var listJson = new Option<bool>("--json") { Description = "Print a JSON array" };
        var list = new Command("list", "Registered models (latest version of each) and built-ins available here") { listJson };
        list.SetAction(async (parse, ct) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var registry = host.Services.GetRequiredService<ModelRegistry>();
            var latest = await registry.ListLatestRegisteredAsync(ct);
            var variants = host.Services.GetRequiredService<FloatVariants>();
            var rows = new List<(EmbeddingModel Model, EmbeddingModel? Variant, int InUse)>();
            foreach (var m in latest)
            {
                var inspected = await variants.EnsureInspectedAsync(m, ct);
                rows.Add((inspected, await variants.FindAsync(m.Id, ct), (await registry.EffectiveAsync(inspected, ct)).Id));
            }

            var builtIns = registry.AvailableBuiltIns().Where(n => latest.All(m => m.Name != n)).ToList();
            if (parse.GetValue(listJson))
            {
                await stdout.WriteLineAsync(JsonSerializer.Serialize(rows.Select(r => Describe(r.Model, r.Variant, r.InUse)).Concat(builtIns.Select(n => (object)new { name = n, registered = false })), CliJson.Options));
                return 0;
            }

            await stdout.WriteLineAsync($"This machine: {InferenceHardware.Cpu.Describe()}; {host.Services.GetRequiredService<InferenceHardware>().Explanation}");
            foreach (var (m, variant, inUse) in rows)
            {
                var path = variant is null ? m.ExecutionPath : $"{m.ExecutionPath} + float variant, using {(inUse == m.Id ? m.ExecutionPath : variant.ExecutionPath)} (choice {m.PathChoice})";
                await stdout.WriteLineAsync($"{m.Name} v{m.Version}  {m.Dimension}-d  {path}  output {m.OutputName}{(m.DerivedFromTensor is null ? "" : $" (pooled from {m.DerivedFromTensor})")}  sha256 {m.Sha256[..12]}…  {m.Origin}");
            }

            foreach (var name in builtIns)
            {
                await stdout.WriteLineAsync($"{name} (built-in, registered on first use)");
            }

            return 0;
        });
        models.Subcommands.Add(list);

        var name = new Option<string>("--name") { Description = "Model name; registering an existing name adds a version", Required = true };
        var path = new Option<FileInfo?>("--path") { Description = "ONNX file on this machine" };
        var url = new Option<string?>("--url") { Description = "http(s) URL of an ONNX file" };
        var sha = new Option<string?>("--sha256") { Description = "Expected SHA-256 of the downloaded file" };
        var tensor = new Option<string>("--tensor") { Description = "Tensor holding the embedding: an output, or an intermediate N,C,H,W feature map to pool", Required = true };
        var size = new Option<int>("--input-size") { Description = "Square input size", DefaultValueFactory = _ => 224 };
        var resize = new Option<string>("--resize") { Description = "stretch | crop (shorter side then centre crop)", DefaultValueFactory = _ => "stretch" };
        var scale = new Option<float>("--scale") { Description = "Pixel multiplier before mean/std", DefaultValueFactory = _ => 1f / 255f };
        var mean = new Option<string>("--mean") { Description = "Three per-channel means", DefaultValueFactory = _ => "0.485,0.456,0.406" };
        var std = new Option<string>("--std") { Description = "Three per-channel standard deviations", DefaultValueFactory = _ => "0.229,0.224,0.225" };
        var bgr = new Option<bool>("--bgr") { Description = "Feed channels as BGR" };
        var nhwc = new Option<bool>("--nhwc") { Description = "Input layout N,H,W,C instead of N,C,H,W" };
        var dim = new Option<int?>("--dim") { Description = "Refuse the model unless its vectors have this length" };
        var json = new Option<bool>("--json") { Description = "Print the registered model as JSON" };
        var register = new Command("register", "Check and register an ONNX model") { name, path, url, sha, tensor, size, resize, scale, mean, std, bgr, nhwc, dim, json };
        register.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(path);
            var link = parse.GetValue(url);
            if ((file is null) == (link is null))
            {
                await stderr.WriteLineAsync("error: give exactly one of --path and --url");
                return 2;
            }

            if (!TryParseTriple(parse.GetValue(mean)!, out var means) || !TryParseTriple(parse.GetValue(std)!, out var stds))
            {
                await stderr.WriteLineAsync("error: --mean and --std take three comma-separated numbers");
                return 2;
            }

            var mode = parse.GetValue(resize) switch
            {
                "stretch" => (ResizeMode?)ResizeMode.Stretch,
                "crop" => ResizeMode.ShorterSideCenterCrop,
                _ => null,
            };
            if (mode is null)
            {
                await stderr.WriteLineAsync("error: --resize is stretch or crop");
                return 2;
            }

            var registration = new ModelRegistration
            {
                Name = parse.GetValue(name)!,
                Tensor = parse.GetValue(tensor)!,
                ExpectedDimension = parse.GetValue(dim),
                Origin = file?.FullName ?? link!,
                CreatedBy = $"cli:{Environment.UserName}",
                Preprocessing = new Preprocessing
                {
                    Resize = mode.Value,
                    InputWidth = parse.GetValue(size),
                    InputHeight = parse.GetValue(size),
                    Scale = parse.GetValue(scale),
                    Mean = means,
                    Std = stds,
                    Channels = parse.GetValue(bgr) ? ChannelOrder.Bgr : ChannelOrder.Rgb,
                    Layout = parse.GetValue(nhwc) ? TensorLayout.Nhwc : TensorLayout.Nchw,
                },
            };
            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var registry = host.Services.GetRequiredService<ModelRegistry>();
            try
            {
                var model = file is not null
                    ? await registry.RegisterFromPathAsync(registration, file.FullName, ct)
                    : await registry.RegisterFromUrlAsync(registration, link!, parse.GetValue(sha), ct);
                await stdout.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(Describe(model, await host.Services.GetRequiredService<FloatVariants>().FindAsync(model.Id, ct), (await registry.EffectiveAsync(model, ct)).Id), CliJson.Options)
                    : $"Registered {model.Name} v{model.Version}: {model.Dimension}-d from {model.OutputName}{(model.DerivedFromTensor is null ? "" : $" (pooled from {model.DerivedFromTensor})")}, sha256 {model.Sha256}");
                return 0;
            }
            catch (EmbeddingException ex)
            {
                await stderr.WriteLineAsync($"error: registration refused: {ex.Message}");
                return 1;
            }
        });
        models.Subcommands.Add(register);

        var pathName = new Option<string>("--name") { Description = "A quantized model's name (its latest version)", Required = true };
        var choice = new Option<string>("--choice") { Description = "auto (int8 only where this CPU's 8-bit products are exact), int8 or float", Required = true };
        var pathCommand = new Command("path", "Choose which path a quantized model runs on: auto, int8 or its float variant") { pathName, choice };
        pathCommand.SetAction(async (parse, ct) =>
        {
            using var host = await PlatformCli.StartHostAsync(settings, ct);
            var registry = host.Services.GetRequiredService<ModelRegistry>();
            if (await registry.FindAsync(parse.GetValue(pathName)!, ct) is not { } model)
            {
                await stderr.WriteLineAsync($"error: model '{parse.GetValue(pathName)}' is not registered");
                return 2;
            }

            try
            {
                await host.Services.GetRequiredService<FloatVariants>().SetChoiceAsync(model.Id, parse.GetValue(choice)!, ct);
            }
            catch (EmbeddingException ex)
            {
                await stderr.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            var effective = await registry.EffectiveAsync((await registry.FindByIdAsync(model.Id, ct))!, ct);
            await stdout.WriteLineAsync($"{model.Name} v{model.Version}: choice {parse.GetValue(choice)}; this machine uses {effective.Label}");
            return 0;
        });
        models.Subcommands.Add(pathCommand);
        return models;
    }

    private static object Describe(EmbeddingModel m, EmbeddingModel? variant, int inUse) => new
    {
        name = m.Name,
        version = m.Version,
        registered = true,
        execution_path = m.ExecutionPath,
        path_choice = m.PathChoice,
        float_variant = variant is null ? null : new { sha256 = variant.Sha256, origin = variant.Origin },
        variant_problem = m.VariantProblem,
        in_use_here = inUse == m.Id ? m.ExecutionPath : variant?.ExecutionPath,
        dimension = m.Dimension,
        input = m.InputName,
        output = m.OutputName,
        derived_from_tensor = m.DerivedFromTensor,
        fixed_batch_size = m.FixedBatchSize,
        sha256 = m.Sha256,
        source_sha256 = m.SourceSha256,
        origin = m.Origin,
        preprocessing = m.Preprocessing,
        created_at = m.CreatedAt,
    };

    private static bool TryParseTriple(string text, out float[] values)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        values = new float[3];
        if (parts.Length != 3)
        {
            return false;
        }

        for (var i = 0; i < 3; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        return true;
    }
}
