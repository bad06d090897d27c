using System.Security.Cryptography;
using LabelPlatform.Core.Data;
using LabelPlatform.Core.Embeddings;
using LabelPlatform.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace LabelPlatform.Tests.Embeddings;

public class ModelRegistryTests
{
    private static ModelRegistration MobileNet(string name = "mnv2", string tensor = "627", int? dim = null, Preprocessing? p = null) => new()
    {
        Name = name,
        Tensor = tensor,
        ExpectedDimension = dim,
        Preprocessing = p ?? Preprocessing.ImageNet,
        Origin = "test",
    };

    [Fact]
    public async Task Same_file_and_settings_register_once_and_new_settings_make_a_new_version()
    {
        await using var platform = await CorePlatform.StartAsync();
        var registry = platform.Get<ModelRegistry>();

        var first = await registry.RegisterFromPathAsync(MobileNet(), SharedPaths.MobileNetV2);
        var again = await registry.RegisterFromPathAsync(MobileNet(), SharedPaths.MobileNetV2);
        var cropped = await registry.RegisterFromPathAsync(MobileNet(p: Preprocessing.ImageNet with { Resize = ResizeMode.ShorterSideCenterCrop }), SharedPaths.MobileNetV2);

        Assert.Equal((1, 1, 2), (first.Version, again.Version, cropped.Version));
        Assert.Equal(first.Id, again.Id);
        // Source and derived files differ: the registry stores the derived graph, and says where it came from.
        Assert.NotEqual(first.SourceSha256, first.Sha256);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(SharedPaths.MobileNetV2))), first.SourceSha256);
        Assert.Equal(2, (await registry.ListLatestAsync()).Single().Version);
    }

    [Fact]
    public async Task A_graph_output_is_used_as_is_without_a_graph_edit()
    {
        await using var platform = await CorePlatform.StartAsync();

        // The shared embedding file already exposes the pooled vector as an output.
        var model = await platform.Get<ModelRegistry>().RegisterFromPathAsync(MobileNet(tensor: "embedding", dim: 1280), SharedPaths.MobileNetV2Embedding);

        Assert.Null(model.DerivedFromTensor);
        Assert.Equal("embedding", model.OutputName);
        Assert.Equal(model.SourceSha256, model.Sha256);
    }

    public static TheoryData<string, string> Refusals() => new()
    {
        { "not-onnx", "not a usable ONNX model" },
        { "unknown-tensor", "is not in the model" },
        { "wrong-dimension", "1280-d vectors" },
        { "wrong-input-size", "expects [" },
        { "bad-name", "not a valid model name" },
        { "bad-preprocessing", "preprocessing" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Bad_models_are_refused_with_the_reason_and_leave_nothing_behind(string problem, string reason)
    {
        await using var platform = await CorePlatform.StartAsync();
        var registry = platform.Get<ModelRegistry>();
        var text = Path.Combine(platform.DataDirectory, "fake.onnx");
        await File.WriteAllTextAsync(text, "this is not a protobuf");

        var error = await Assert.ThrowsAsync<EmbeddingException>(() => problem switch
        {
            "not-onnx" => registry.RegisterFromPathAsync(MobileNet(), text),
            "unknown-tensor" => registry.RegisterFromPathAsync(MobileNet(tensor: "no_such_tensor"), SharedPaths.MobileNetV2),
            "wrong-dimension" => registry.RegisterFromPathAsync(MobileNet(dim: 512), SharedPaths.MobileNetV2),
            "wrong-input-size" => registry.RegisterFromPathAsync(MobileNet(p: Preprocessing.ImageNet with { InputWidth = 299, InputHeight = 299 }), SharedPaths.MobileNetV2),
            "bad-name" => registry.RegisterFromPathAsync(MobileNet(name: "../evil"), SharedPaths.MobileNetV2),
            _ => registry.RegisterFromPathAsync(MobileNet(p: Preprocessing.ImageNet with { Std = [0f, 1f, 1f] }), SharedPaths.MobileNetV2),
        });

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(0, await db.EmbeddingModels.CountAsync());
        var models = Path.Combine(platform.DataDirectory, "models");
        Assert.True(!Directory.Exists(models) || Directory.GetFiles(models).Length == 0);
    }

    [Fact]
    public async Task Register_by_url_checks_the_sha256_pin()
    {
        var bytes = await File.ReadAllBytesAsync(SharedPaths.MobileNetV2);
        await using var server = await LoopbackServer.StartAsync(app => app.MapGet("/mobilenetv2.onnx", () => Results.Bytes(bytes, "application/octet-stream")));
        // The test server runs on 127.0.0.1: only that address is opened in the SSRF guard.
        await using var platform = await CorePlatform.StartAsync(new() { ["Outbound:AllowedNetworks:0"] = "127.0.0.1/32" });
        var registry = platform.Get<ModelRegistry>();
        var pin = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var wrong = await Assert.ThrowsAsync<EmbeddingException>(() => registry.RegisterFromUrlAsync(MobileNet(), $"{server.BaseUrl}/mobilenetv2.onnx", new string('0', 64)));
        var model = await registry.RegisterFromUrlAsync(MobileNet(), $"{server.BaseUrl}/mobilenetv2.onnx", pin);

        Assert.Contains("SHA-256", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(pin, model.SourceSha256);
        Assert.Equal(1280, model.Dimension);
    }

    [Fact]
    public async Task A_quantized_model_gets_a_checked_float_variant_under_its_name_and_version()
    {
        await using var platform = await CorePlatform.StartAsync();
        var registry = platform.Get<ModelRegistry>();

        var int8 = await registry.RegisterFromPathAsync(MobileNet(), SharedPaths.MobileNetV2);
        var variant = await platform.Get<FloatVariants>().FindAsync(int8.Id);

        Assert.Equal(ExecutionPaths.Int8, int8.ExecutionPath);
        Assert.NotNull(variant);
        Assert.Equal((int8.Name, int8.Version, ExecutionPaths.Float, int8.Id), (variant.Name, variant.Version, variant.ExecutionPath, variant.VariantOfId));
        Assert.Equal((int8.Dimension, int8.OutputName, int8.SourceSha256), (variant.Dimension, variant.OutputName, variant.SourceSha256));
        Assert.NotEqual(int8.Sha256, variant.Sha256);
        Assert.True(File.Exists(platform.Get<OnnxEmbedder>().ModelPath(variant)));
        Assert.Contains("cosine to the exact int8 path", variant.Origin, StringComparison.Ordinal);
        Assert.False(OnnxDequantizer.IsQuantized(await File.ReadAllBytesAsync(platform.Get<OnnxEmbedder>().ModelPath(variant))));
        // The registry lists the model once (its int8 row); registering the same file again adds nothing.
        Assert.Single(await registry.ListLatestRegisteredAsync());
        Assert.Equal(int8.Id, (await registry.RegisterFromPathAsync(MobileNet(), SharedPaths.MobileNetV2)).Id);
        await using var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync();
        Assert.Equal(2, await db.EmbeddingModels.CountAsync());

        // A float model has one path and no variant.
        var resnet = (await registry.FindOrRegisterBuiltInAsync(ModelRegistry.ResNet18))!;
        Assert.Equal(ExecutionPaths.Float, resnet.ExecutionPath);
        Assert.Null(await platform.Get<FloatVariants>().FindAsync(resnet.Id));
    }

    [Theory]
    [InlineData("true", ExecutionPaths.Int8)]
    [InlineData("false", ExecutionPaths.Float)]
    public async Task The_path_follows_the_CPU_unless_an_admin_or_the_caller_chooses(string int8Exact, string expected)
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Embeddings:Int8DotProductsExact"] = int8Exact });
        var registry = platform.Get<ModelRegistry>();
        var variants = platform.Get<FloatVariants>();

        var auto = (await registry.ResolveAsync(ModelRegistry.MobileNetV2))!;
        var primary = (await registry.FindAsync(ModelRegistry.MobileNetV2))!;

        Assert.Equal(expected, auto.ExecutionPath);
        Assert.Equal(expected, (await registry.ResolveDefaultAsync()).ExecutionPath);
        Assert.Equal(expected, Assert.Single(await registry.ListLatestAsync()).ExecutionPath);
        // Asked for by name, either path is there; a path the model lacks is refused.
        Assert.Equal(ExecutionPaths.Int8, (await registry.ResolveAsync("mobilenetv2:int8"))!.ExecutionPath);
        Assert.Equal(ExecutionPaths.Float, (await registry.ResolveAsync("mobilenetv2:float"))!.ExecutionPath);
        Assert.Contains("no 'int8' path", (await Assert.ThrowsAsync<EmbeddingException>(() => registry.ResolveAsync("resnet18:int8"))).Message, StringComparison.Ordinal);

        // An admin's choice wins over the CPU, in both directions.
        await variants.SetChoiceAsync(primary.Id, PathChoices.Float);
        Assert.Equal(ExecutionPaths.Float, (await registry.ResolveAsync(ModelRegistry.MobileNetV2))!.ExecutionPath);
        await variants.SetChoiceAsync(primary.Id, PathChoices.Int8);
        Assert.Equal(ExecutionPaths.Int8, (await registry.ResolveAsync(ModelRegistry.MobileNetV2))!.ExecutionPath);
        await Assert.ThrowsAsync<EmbeddingException>(() => variants.SetChoiceAsync(primary.Id, "fast"));
        var resnet = (await registry.FindOrRegisterBuiltInAsync(ModelRegistry.ResNet18))!;
        Assert.Contains("not quantized", (await Assert.ThrowsAsync<EmbeddingException>(() => variants.SetChoiceAsync(resnet.Id, PathChoices.Float))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_registered_before_paths_were_recorded_is_inspected_and_gets_its_variant_on_first_use()
    {
        await using var platform = await CorePlatform.StartAsync(new() { ["Embeddings:Int8DotProductsExact"] = "false" });
        var registry = platform.Get<ModelRegistry>();
        var int8 = await registry.RegisterFromPathAsync(MobileNet() with { DeriveFloatVariant = false }, SharedPaths.MobileNetV2);
        await using (var db = await platform.Get<IDbContextFactory<PlatformDbContext>>().CreateDbContextAsync())
        {
            // What the migration leaves on rows from before: no path recorded, no variant.
            await db.EmbeddingModels.Where(m => m.Id == int8.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.ExecutionPath, (string?)null));
        }

        var used = (await registry.ResolveAsync(int8.Name))!;

        Assert.Equal((ExecutionPaths.Float, int8.Id), (used.ExecutionPath, used.VariantOfId));
        Assert.Equal(ExecutionPaths.Int8, (await registry.FindByIdAsync(int8.Id))!.ExecutionPath);
    }
}
