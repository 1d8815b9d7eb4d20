"""REST API of the billing app: serializers, views and their routes."""
