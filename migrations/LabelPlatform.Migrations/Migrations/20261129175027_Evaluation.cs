using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LabelPlatform.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Evaluation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EvaluationSplits",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Protocol = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Seed = table.Column<int>(type: "INTEGER", nullable: false),
                    QueriesPerClass = table.Column<int>(type: "INTEGER", nullable: false),
                    CandidatesPerClass = table.Column<int>(type: "INTEGER", nullable: false),
                    Queries = table.Column<int>(type: "INTEGER", nullable: false),
                    Candidates = table.Column<int>(type: "INTEGER", nullable: false),
                    Training = table.Column<int>(type: "INTEGER", nullable: false),
                    LabelStateHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Warnings = table.Column<string>(type: "TEXT", maxLength: 20000, nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EvaluationSplits", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EvaluationSplits_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EvaluationRuns",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DatasetId = table.Column<int>(type: "INTEGER", nullable: false),
                    SplitId = table.Column<int>(type: "INTEGER", nullable: false),
                    Method = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    ModelId = table.Column<int>(type: "INTEGER", nullable: true),
                    Label = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Seed = table.Column<int>(type: "INTEGER", nullable: false),
                    KValues = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    MainK = table.Column<int>(type: "INTEGER", nullable: false),
                    JobRunId = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Queries = table.Column<int>(type: "INTEGER", nullable: false),
                    Candidates = table.Column<int>(type: "INTEGER", nullable: false),
                    PrecisionAtK = table.Column<double>(type: "REAL", nullable: true),
                    AveragePrecisionAtK = table.Column<double>(type: "REAL", nullable: true),
                    AveragePrecisionAtKNotebook = table.Column<double>(type: "REAL", nullable: true),
                    MeanAveragePrecision = table.Column<double>(type: "REAL", nullable: true),
                    Seconds = table.Column<double>(type: "REAL", nullable: true),
                    LabelStateHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    ManifestJson = table.Column<string>(type: "TEXT", nullable: false),
                    ReportGzip = table.Column<byte[]>(type: "BLOB", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EvaluationRuns", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EvaluationRuns_Datasets_DatasetId",
                        column: x => x.DatasetId,
                        principalTable: "Datasets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_EvaluationRuns_EmbeddingModels_ModelId",
                        column: x => x.ModelId,
                        principalTable: "EmbeddingModels",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_EvaluationRuns_EvaluationSplits_SplitId",
                        column: x => x.SplitId,
                        principalTable: "EvaluationSplits",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_EvaluationRuns_JobRuns_JobRunId",
                        column: x => x.JobRunId,
                        principalTable: "JobRuns",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "SplitImages",
                columns: table => new
                {
                    SplitId = table.Column<int>(type: "INTEGER", nullable: false),
                    ImageId = table.Column<long>(type: "INTEGER", nullable: false),
                    ClassId = table.Column<int>(type: "INTEGER", nullable: false),
                    Role = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SplitImages", x => new { x.SplitId, x.ImageId });
                    table.ForeignKey(
                        name: "FK_SplitImages_EvaluationSplits_SplitId",
                        column: x => x.SplitId,
                        principalTable: "EvaluationSplits",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_SplitImages_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationRuns_DatasetId_CreatedAt",
                table: "EvaluationRuns",
                columns: new[] { "DatasetId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationRuns_JobRunId",
                table: "EvaluationRuns",
                column: "JobRunId");

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationRuns_ModelId",
                table: "EvaluationRuns",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationRuns_SplitId",
                table: "EvaluationRuns",
                column: "SplitId");

            migrationBuilder.CreateIndex(
                name: "IX_EvaluationSplits_DatasetId_Name",
                table: "EvaluationSplits",
                columns: new[] { "DatasetId", "Name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_SplitImages_ImageId",
                table: "SplitImages",
                column: "ImageId");

            migrationBuilder.CreateIndex(
                name: "IX_SplitImages_SplitId_Role",
                table: "SplitImages",
                columns: new[] { "SplitId", "Role" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EvaluationRuns");

            migrationBuilder.DropTable(
                name: "SplitImages");

            migrationBuilder.DropTable(
                name: "EvaluationSplits");
        }
    }
}
