"""REST API of the customers app: serializers, views and their routes."""
