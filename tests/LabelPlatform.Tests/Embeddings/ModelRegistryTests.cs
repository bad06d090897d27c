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
        await using var platform = await CorePlatform.StartAsync();
        var registry = platform.Get<ModelRegistry>();
        var pin = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var wrong = await Assert.ThrowsAsync<EmbeddingException>(() => registry.RegisterFromUrlAsync(MobileNet(), $"{server.BaseUrl}/mobilenetv2.onnx", new string('0', 64)));
        var model = await registry.RegisterFromUrlAsync(MobileNet(), $"{server.BaseUrl}/mobilenetv2.onnx", pin);

        Assert.Contains("SHA-256", wrong.Message, StringComparison.Ordinal);
        Assert.Equal(pin, model.SourceSha256);
        Assert.Equal(1280, model.Dimension);
    }
}
